# frozen_string_literal: true

module Gazette
  # The journals of a selector, listed again every interval in the
  # background; see Client#polled_list.
  class PolledList
    include Call

    def initialize(client, selector, interval, timeout)
      @client = client
      s, sl = buf(selector)
      out = FFI::MemoryPointer.new(:pointer)
      check do |e|
        Native.gazette_polled_list_new(client.ptr, s, sl, (interval * 1000).ceil, Call.ms(timeout), out, e)
      end
      @ptr = Call.auto(out.read_pointer, :gazette_polled_list_free)
    end

    # The latest listing (Hashes as Client#list returns).
    def journals
      out = FFI::MemoryPointer.new(:pointer)
      check { |e| Native.gazette_polled_list_get(@ptr, out, e) }
      Client.journals(out.read_pointer)
    end

    # Waits up to timeout seconds (nil: forever) for a newer listing; true
    # when one came, false on timeout.
    def wait_update(timeout = nil)
      sliced(timeout) { |ms, e| Native.gazette_polled_list_wait_update(@ptr, ms, e) }
      true
    rescue TimeoutError
      false
    end

    def close
      @ptr&.free
      @ptr = nil
    end
  end
end
