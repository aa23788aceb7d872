# frozen_string_literal: true

module Gazette
  # One streamed append transaction; see Client#append with a block.
  # Nothing is visible to readers before #commit.
  class Appender
    include Call

    attr_reader :begin_offset, :end_offset

    def initialize(client, journal, opts, timeout)
      @client = client
      @timeout = timeout
      j, jl = buf(journal)
      out = FFI::MemoryPointer.new(:pointer)
      check { |e| Native.gazette_appender_new(client.ptr, j, jl, opts, out, e) }
      # Freeing an unfinished transaction rolls it back.
      @ptr = Call.auto(out.read_pointer, :gazette_appender_free)
    end

    def write(data)
      d, dl = buf(data)
      check { |e| Native.gazette_appender_write(@ptr, d, dl, Call.ms(@timeout), e) }
      dl
    end

    def <<(data)
      write(data)
      self
    end

    # Commits; returns [begin, end) offsets.
    def commit
      b = FFI::MemoryPointer.new(:int64)
      en = FFI::MemoryPointer.new(:int64)
      check { |e| Native.gazette_appender_close(@ptr, Call.ms(@timeout), b, en, e) }
      @begin_offset = b.read_int64
      @end_offset = en.read_int64
      [@begin_offset, @end_offset]
    ensure
      release
    end

    # Rolls back.
    def abort
      check { |e| Native.gazette_appender_abort(@ptr, Call.ms(@timeout), e) } if @ptr
    ensure
      release
    end

    private

    def release
      @ptr&.free
      @ptr = nil
    end
  end
end
