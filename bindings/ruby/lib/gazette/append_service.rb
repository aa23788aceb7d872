# frozen_string_literal: true

module Gazette
  # Batches many small appends per journal into few RPCs (see the
  # AppendService of gazette.h).
  #
  #   svc = client.append_service
  #   f = svc.append("logs/a", "record\n")
  #   f.wait(5)
  class AppendService
    include Call

    def initialize(client)
      @client = client
      out = FFI::MemoryPointer.new(:pointer)
      check { |e| Native.gazette_append_service_new(client.ptr, nil, out, e) }
      @ptr = Call.auto(out.read_pointer, :gazette_append_service_free)
    end

    # Queues data for journal and returns its batch's Future. With deps (a
    # Future, an Array of them or an OpFutures), the append is dispatched
    # only after every one of them committed; if one failed, it fails with
    # DependencyFailed. Waits up to timeout seconds, in short slices, for the
    # journal's batch, which other threads hold while they write.
    def append(journal, data, deps: nil, timeout: 30)
      j, jl = buf(journal)
      set = OpFutures.from(deps)
      out = FFI::MemoryPointer.new(:pointer)
      sliced(timeout) { |ms, e| Native.gazette_append_service_start(@ptr, j, jl, nil, set&.ptr, ms, out, e) }
      aa = out.read_pointer
      begin
        d, dl = buf(data)
        check { |e| Native.gazette_async_append_write(aa, d, dl, e) }
      rescue StandardError
        Native.gazette_async_append_release(aa, nil, nil) # rolls back this caller's bytes
        raise
      end
      fut = FFI::MemoryPointer.new(:pointer)
      check { |e| Native.gazette_async_append_release(aa, fut, e) }
      Future.new(fut.read_pointer)
    end

    # An OpFutures of every append pending on journals other than journal
    # (all journals for ""), plus a failed operation for each such journal
    # whose appends now fail. As deps of the next append it makes a
    # barrier: that append goes out only after everything pending
    # elsewhere committed.
    def pending_except(journal = "")
      j, jl = buf(journal)
      out = FFI::MemoryPointer.new(:pointer)
      check { |e| Native.gazette_append_service_pending_except(@ptr, j, jl, out, e) }
      OpFutures.new(ptr: out.read_pointer)
    end

    # Waits up to timeout seconds for every queued append, then frees the service.
    def close(timeout: 30)
      return unless @ptr

      check { |e| Native.gazette_append_service_close(@ptr, Call.ms(timeout), e) }
      @ptr.free
      @ptr = nil
    end
  end

  # The completion of an append batch.
  class Future
    include Call

    attr_reader :ptr # :nodoc:

    def initialize(ptr)
      @ptr = Call.auto(ptr, :gazette_append_future_free)
    end

    # Waits up to timeout seconds (nil: forever) in short slices. Returns
    # true once committed, false on timeout; raises the append's error.
    def wait(timeout = nil)
      sliced(timeout) { |ms, e| Native.gazette_append_future_wait(@ptr, ms, e) }
      true
    rescue TimeoutError
      false
    end

    def done?
      Native.gazette_append_future_status(@ptr) != WOULD_BLOCK
    end

    # The append's failure as an exception (not raised), nil while pending
    # or after success.
    def error
      status = Native.gazette_append_future_status(@ptr)
      return nil if status == OK || status == WOULD_BLOCK

      e = Native.gazette_append_future_error(@ptr)
      Gazette.error_class(status).new(status, e.null? ? nil : Native.gazette_error_message(e))
    end

    def journal
      Native.gazette_append_future_journal(@ptr)
    end

    # The number of the batch this append went out in: futures with equal
    # numbers were batched into one RPC and complete together, with one
    # commit span. Unique in the process, never 0.
    def batch
      Native.gazette_append_future_batch(@ptr)
    end

    # [begin, end) offsets of the committed batch.
    def commit
      [Native.gazette_append_future_commit_begin(@ptr), Native.gazette_append_future_commit_end(@ptr)]
    end
  end
end
