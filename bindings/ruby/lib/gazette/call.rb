# frozen_string_literal: true

module Gazette
  OK = 0
  WOULD_BLOCK = 1
  TIMED_OUT = 2
  END_OF_STREAM = 3

  # Helpers shared by the wrappers: error out-parameters, copied inputs and
  # timed slices.
  module Call
    # Longest single wait handed to C, in ms: between slices the thread
    # takes the GVL back, so interrupts (Timeout, Ctrl-C, Thread#raise) land.
    SLICE_MS = 50

    module_function

    # Calls the block with an error out-parameter; raises on a failed status
    # unless it is in `pass`, and returns the status.
    def check(pass = [])
      err = FFI::MemoryPointer.new(:pointer)
      status = yield err
      e = err.read_pointer
      msg = e.null? ? nil : Native.gazette_error_message(e)
      Native.gazette_error_free(e) unless e.null?
      return status if status == OK || pass.include?(status)

      raise Gazette.error_class(status).new(status, msg)
    end

    # A copy of str in C memory and its byte length: C never sees Ruby's
    # string memory (which may move or change while the GVL is released).
    def buf(str)
      str = str.to_s.b
      mem = FFI::MemoryPointer.new(:uint8, [str.bytesize, 1].max)
      mem.put_bytes(0, str)
      [mem, str.bytesize]
    end

    # Repeats a waiting call in SLICE_MS slices until it returns something
    # other than TIMED_OUT or `timeout` seconds (nil: forever) passed.
    def sliced(timeout, pass = [])
      deadline = timeout && Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      loop do
        ms = SLICE_MS
        if deadline
          left = ((deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)) * 1000).ceil
          ms = left.clamp(0, SLICE_MS)
        end
        status = check(pass + [TIMED_OUT, WOULD_BLOCK]) { |err| yield ms, err }
        return status unless status == TIMED_OUT || status == WOULD_BLOCK
        raise TimeoutError.new(TIMED_OUT) if deadline && ms.zero?
      end
    end

    # Milliseconds for a call that cannot resume after a timeout.
    def ms(timeout)
      timeout ? (timeout * 1000).ceil : -1
    end

    def auto(ptr, free)
      FFI::AutoPointer.new(ptr, Native.method(free))
    end
  end
end
