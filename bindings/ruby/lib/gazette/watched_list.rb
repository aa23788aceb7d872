# frozen_string_literal: true

module Gazette
  # The journals of a selector kept current by a watching List RPC (brokers
  # v0.100 and later; use PolledList with older ones); see
  # Client#watched_list.
  class WatchedList
    include Call

    def initialize(client, selector)
      @client = client
      s, sl = buf(selector)
      out = FFI::MemoryPointer.new(:pointer)
      check { |e| Native.gazette_watched_list_new(client.ptr, s, sl, out, e) }
      @ptr = Call.auto(out.read_pointer, :gazette_watched_list_free)
    end

    # The latest snapshot (Hashes as Client#list returns), or nil before
    # the first.
    def journals
      out = FFI::MemoryPointer.new(:pointer)
      status = check([WOULD_BLOCK]) { |e| Native.gazette_watched_list_get(@ptr, out, e) }
      status == WOULD_BLOCK ? nil : Client.journals(out.read_pointer)
    end

    # Waits up to timeout seconds (nil: forever) for a newer snapshot; true
    # when one came, false on timeout. A failed watch (it goes on retrying)
    # raises its error.
    def wait_update(timeout = nil)
      sliced(timeout) { |ms, e| Native.gazette_watched_list_wait_update(@ptr, ms, e) }
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
