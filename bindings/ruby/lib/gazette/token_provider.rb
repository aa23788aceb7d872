# frozen_string_literal: true

module Gazette
  # Gazette's authorization capabilities, as in a token's `cap` claim and
  # the capability a token provider is asked for (a mask of these).
  CAP_LIST = 1 << 1
  CAP_APPLY = 1 << 2
  CAP_READ = 1 << 3
  CAP_APPEND = 1 << 4
  CAP_REPLICATE = 1 << 5

  # Token providers of live clients. C holds only an integer id (the
  # userdata of one trampoline that lives as long as the process), never a
  # Ruby object: a client registers its provider before it is made and
  # unregisters it once its native client is freed, so a late call finds no
  # provider and fails the RPC instead of calling into freed memory.
  module TokenProviders # :nodoc:
    @providers = {}
    @lock = Mutex.new
    @next = 0

    # Return codes of the trampoline, named in the library's message.
    RAISED = 1
    NO_TOKEN = 3
    GONE = 4

    class << self
      def register(provider)
        @lock.synchronize do
          @next += 1
          @providers[@next] = provider
          @next
        end
      end

      def unregister(id)
        @lock.synchronize { @providers.delete(id) }
      end

      def lookup(id)
        @lock.synchronize { @providers[id] }
      end

      # Runs on a library thread (through the ffi gem's callback thread,
      # with the GVL); never lets an exception escape into C.
      def call(id, capability, selector, lifetime_ms, out)
        provider = lookup(id)
        return GONE unless provider

        answer = begin
          provider.call(capability, selector, lifetime_ms / 1000.0)
        rescue Exception # rubocop:disable Lint/RescueException -- must not unwind into C
          return RAISED
        end
        token, valid_for = answer.is_a?(Array) ? answer : [answer, nil]
        return NO_TOKEN unless token.is_a?(String) && !token.empty?

        mem, len = Call.buf(token)
        status = Native.gazette_token_set(out, mem, len, ((valid_for || 0) * 1000).ceil, nil)
        mem.clear
        status == OK ? 0 : NO_TOKEN
      rescue Exception # rubocop:disable Lint/RescueException
        RAISED
      end
    end

    TRAMPOLINE = FFI::Function.new(:int32, [:pointer, :uint32, :pointer, :size_t, :int64, :pointer]) do |ud, cap, sel, sel_len, lifetime_ms, out|
      selector = sel_len.zero? ? "" : sel.read_bytes(sel_len).force_encoding(Encoding::UTF_8)
      TokenProviders.call(ud.address, cap, selector, lifetime_ms, out)
    end
  end
end
