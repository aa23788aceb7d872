# frozen_string_literal: true

module Gazette
  # Reads a journal. Enumerable over chunks (Strings), with an IO-like #read.
  # A Reader may be handed between threads, but is used by one at a time.
  #
  #   client.reader("logs/a", end_offset: 100).each { |chunk| ... }
  class Reader
    include Enumerable
    include Call

    def initialize(client, journal, offset:, end_offset:, block:, retrying:, do_not_proxy:)
      @client = client # keeps the client alive while this reader is
      @kind = retrying ? "retry_reader" : "reader"
      opts = Call.auto(Native.gazette_read_options_new, :gazette_read_options_free)
      check { |e| Native.gazette_read_options_set_offset(opts, offset, e) }
      check { |e| Native.gazette_read_options_set_end_offset(opts, end_offset, e) }
      check { |e| Native.gazette_read_options_set_block(opts, block, e) }
      check { |e| Native.gazette_read_options_set_do_not_proxy(opts, do_not_proxy, e) }
      j, jl = buf(journal)
      out = FFI::MemoryPointer.new(:pointer)
      check { |e| native(:new, client.ptr, j, jl, opts, out, e) }
      @ptr = Call.auto(out.read_pointer, :"gazette_#{@kind}_free")
      @eof = false
    end

    # The next chunk (a String), or nil at the end of the stream. Waits up to
    # timeout seconds (nil: forever) in short slices. Raises OffsetJump when
    # the broker skipped ahead; reading may go on.
    def next_chunk(timeout: nil)
      return nil if @eof

      data = FFI::MemoryPointer.new(:pointer)
      len = FFI::MemoryPointer.new(:size_t)
      status = sliced(timeout, [END_OF_STREAM]) { |ms, e| native(:next, @ptr, ms, data, len, e) }
      if status == END_OF_STREAM
        @eof = true
        return nil
      end
      data.read_pointer.read_bytes(len.read(:size_t))
    end

    # Yields each chunk until the end of the stream.
    def each
      return enum_for(:each) unless block_given?

      while (chunk = next_chunk)
        yield chunk
      end
      self
    end

    # IO-like: read(n) returns up to n bytes (nil at the end); read returns
    # everything up to the end of the stream ("" if none).
    def read(length = nil, timeout: nil)
      if length.nil?
        out = +"".b
        while (c = read(64 * 1024, timeout: timeout))
          out << c
        end
        return out
      end
      return nil if @eof
      return +"".b if length.zero?

      buf = FFI::MemoryPointer.new(:uint8, length)
      n = FFI::MemoryPointer.new(:size_t)
      status = sliced(timeout, [END_OF_STREAM]) { |ms, e| native(:read, @ptr, buf, length, ms, n, e) }
      if status == END_OF_STREAM
        @eof = true
        return nil
      end
      buf.read_bytes(n.read(:size_t))
    end

    def offset
      native(:offset, @ptr)
    end
    alias tell offset

    # Moves the next read to offset (whence IO::SEEK_SET) or offset bytes
    # ahead (IO::SEEK_CUR) and returns the new offset. A retrying reader
    # seeks anywhere, re-reading from there if need be, and waits in short
    # slices. A plain reader seeks only within bytes already received or
    # forward within a fragment read directly, else raises
    # SeekRequiresNewReader; it waits once, up to timeout seconds (a timed
    # out seek leaves it unusable).
    def seek(amount, whence = IO::SEEK_SET, timeout: 30)
      target = case whence
               when IO::SEEK_SET then amount
               when IO::SEEK_CUR then offset + amount
               else raise ArgumentError, "seek supports IO::SEEK_SET and IO::SEEK_CUR only"
               end
      if @kind == "retry_reader"
        sliced(timeout) { |ms, e| native(:seek, @ptr, target, ms, e) }
      else
        check { |e| native(:seek, @ptr, target, Call.ms(timeout), e) }
      end
      @eof = false
      offset
    end

    def write_head
      native(:write_head, @ptr)
    end

    # Ends a read in flight (it raises CancelledError); from any thread.
    def cancel
      native(:cancel, @ptr)
    end

    def close
      @ptr&.free
      @ptr = nil
    end

    private

    def native(verb, *args)
      Native.public_send(:"gazette_#{@kind}_#{verb}", *args)
    end
  end
end
