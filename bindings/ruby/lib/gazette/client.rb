# frozen_string_literal: true

module Gazette
  # A connection to a Gazette broker cluster; thread-safe.
  #
  #   client = Gazette::Client.new(endpoints: ["http://127.0.0.1:8080"])
  class Client
    include Call

    attr_reader :ptr # :nodoc:

    # TLS (https:// endpoints): tls_ca_file: / tls_ca_pem: (a CA bundle
    # replacing the system trust store), tls_client_cert: + tls_client_key:
    # (PEM text, for brokers requiring client certificates),
    # tls_server_name: (the name certificates are verified against).
    # Authorization (precedence: token provider, auth_keys:, token:):
    # auth_keys: (the cluster's --auth-keys: the client signs its tokens),
    # auth_token_lifetime: (seconds, for every token), and token_provider:
    # (or a block) called as provider.call(capability, selector, lifetime)
    # on a library thread, returning a token String or [token, valid_for
    # seconds]; the client holds it until closed or collected.
    def initialize(endpoints:, zone: nil, token: nil, file_root: nil, connect_timeout: nil, request_timeout: nil,
                   tls_ca_file: nil, tls_ca_pem: nil, tls_client_cert: nil, tls_client_key: nil, tls_server_name: nil,
                   auth_keys: nil, auth_token_lifetime: nil, token_provider: nil, &block)
      raise ArgumentError, "give token_provider: or a block, not both" if token_provider && block

      provider = token_provider || block
      raise ArgumentError, "token_provider: must respond to call" if provider && !provider.respond_to?(:call)

      cfg = Call.auto(Native.gazette_config_new, :gazette_config_free)
      Array(endpoints).each { |ep| set_str(cfg, :gazette_config_add_endpoint, ep) }
      set_str(cfg, :gazette_config_set_zone, zone) if zone
      set_str(cfg, :gazette_config_set_bearer_token, token) if token
      set_str(cfg, :gazette_config_set_file_root, file_root) if file_root
      check { |e| Native.gazette_config_set_connect_timeout_ms(cfg, (connect_timeout * 1000).ceil, e) } if connect_timeout
      check { |e| Native.gazette_config_set_request_timeout_ms(cfg, (request_timeout * 1000).ceil, e) } if request_timeout
      set_str(cfg, :gazette_config_set_tls_ca_file, tls_ca_file) if tls_ca_file
      set_str(cfg, :gazette_config_set_tls_ca_pem, tls_ca_pem) if tls_ca_pem
      if tls_client_cert || tls_client_key
        c, cl = buf(tls_client_cert)
        k, kl = buf(tls_client_key)
        begin
          check { |e| Native.gazette_config_set_tls_client_cert(cfg, c, cl, k, kl, e) }
        ensure
          k.clear
        end
      end
      set_str(cfg, :gazette_config_set_tls_server_name, tls_server_name) if tls_server_name
      set_str(cfg, :gazette_config_set_auth_keys, auth_keys) if auth_keys
      if auth_token_lifetime
        check { |e| Native.gazette_config_set_auth_token_lifetime_ms(cfg, (auth_token_lifetime * 1000).ceil, e) }
      end
      id = provider && TokenProviders.register(provider)
      begin
        if id
          check { |e| Native.gazette_config_set_token_provider(cfg, TokenProviders::TRAMPOLINE, FFI::Pointer.new(id), e) }
        end
        out = FFI::MemoryPointer.new(:pointer)
        check { |e| Native.gazette_client_new(cfg, out, e) }
      rescue Exception # rubocop:disable Lint/RescueException
        TokenProviders.unregister(id) if id
        raise
      end
      @ptr = FFI::AutoPointer.new(out.read_pointer, Client.releaser(id))
    end

    # Frees a native client, then forgets its token provider (built here so
    # the closure holds no Client).
    def self.releaser(provider_id) # :nodoc:
      lambda do |ptr|
        Native.gazette_client_free(ptr)
        TokenProviders.unregister(provider_id) if provider_id
      end
    end

    # Waits up to timeout seconds for in-flight work, then frees the client.
    def close(timeout: 5)
      return if @ptr.nil?

      check { |e| Native.gazette_client_close(@ptr, Call.ms(timeout), e) }
      @ptr.free
      @ptr = nil
    end

    # Appends data as one transaction (retried); returns [begin, end) offsets.
    # With a block, streams: yields an Appender and commits when the block
    # returns, or aborts when it raises.
    def append(journal, data = nil, offset: nil, timeout: 30, &block)
      return append_streamed(journal, offset, timeout, &block) if block

      j, jl = buf(journal)
      d, dl = buf(data)
      b = FFI::MemoryPointer.new(:int64)
      en = FFI::MemoryPointer.new(:int64)
      with_options(offset) do |o|
        check { |e| Native.gazette_append(@ptr, j, jl, d, dl, o, Call.ms(timeout), b, en, e) }
      end
      [b.read_int64, en.read_int64]
    end

    # A Reader of journal (one Read RPC), or with retrying: true a retrying one.
    def reader(journal, offset: 0, end_offset: 0, block: true, retrying: true, do_not_proxy: false)
      Reader.new(self, journal, offset: offset, end_offset: end_offset, block: block, retrying: retrying, do_not_proxy: do_not_proxy)
    end

    # Reads everything from offset to end_offset (blocking for it).
    def read(journal, offset: 0, end_offset:)
      reader(journal, offset: offset, end_offset: end_offset).read
    end

    def append_service
      AppendService.new(self)
    end

    # Waits until a broker is primary for journal: brokers assign a journal
    # a little after apply creates it (and again after its broker goes
    # away). Call it before reading or appending to a new journal. Raises
    # BrokerError for a journal that does not exist, TimeoutError after
    # timeout seconds.
    def await_assignment(journal, timeout: 30)
      j, jl = buf(journal)
      sliced(timeout) { |ms, e| Native.gazette_client_await_assignment(@ptr, j, jl, ms, e) }
      nil
    end

    # Journals matching a label selector ("" for all): an Array of Hashes
    # with :name, :labels, :mod_revision, :route (endpoints) and :primary
    # (index into :route, -1 while no broker is primary).
    def list(selector = "", timeout: 30)
      s, sl = buf(selector)
      out = FFI::MemoryPointer.new(:pointer)
      check { |e| Native.gazette_list_journals(@ptr, s, sl, Call.ms(timeout), out, e) }
      Client.journals(out.read_pointer)
    end

    # The fragments of journal, as Hashes with :begin, :end, :sum (SHA-1,
    # hex), :compression_codec, :backing_store, :mod_time (a Time, nil while
    # not persisted) and :path_postfix. begin_mod_time / end_mod_time (Times,
    # nil: no bound) keep persisted fragments modified in that range; an
    # end_mod_time leaves out fragments not persisted yet.
    def fragments(journal, begin_mod_time: nil, end_mod_time: nil, timeout: 30)
      j, jl = buf(journal)
      out = FFI::MemoryPointer.new(:pointer)
      check do |e|
        Native.gazette_list_fragments(@ptr, j, jl, begin_mod_time.to_i, end_mod_time.to_i, Call.ms(timeout), out, e)
      end
      Fragment.all(out.read_pointer)
    end

    # A PolledList of the journals matching selector, refreshed every
    # interval seconds in the background.
    def polled_list(selector = "", interval: 1, timeout: 30)
      PolledList.new(self, selector, interval, timeout)
    end

    # A WatchedList of the journals matching selector, kept current by a
    # watch (brokers v0.100 and later).
    def watched_list(selector = "")
      WatchedList.new(self, selector)
    end

    # Takes ownership of a gazette_journal_list and returns its Hashes.
    def self.journals(ptr) # :nodoc:
      list = Call.auto(ptr, :gazette_journal_list_free)
      Array.new(Native.gazette_journal_list_len(list)) do |i|
        j = Native.gazette_journal_list_get(list, i)
        labels = Array.new(Native.gazette_journal_label_count(j)) do |k|
          [Native.gazette_journal_label_name(j, k), Native.gazette_journal_label_value(j, k)]
        end
        route = Array.new(Native.gazette_journal_route_len(j)) { |k| Native.gazette_journal_route_endpoint(j, k) }
        { name: Native.gazette_journal_name(j), labels: labels, mod_revision: Native.gazette_journal_mod_revision(j),
          route: route, primary: Native.gazette_journal_route_primary(j) }
      end
    end

    # Applies changes in one transaction: each a Hash, either
    # { upsert: name, labels: {..}, stores: [..], fragment_length: n, replication: n, expect: rev }
    # or { delete: name, expect: rev }. Returns the revision.
    def apply(changes, timeout: 30)
      req = Call.auto(Native.gazette_apply_request_new, :gazette_apply_request_free)
      changes.each do |ch|
        expect = ch.fetch(:expect, 0)
        if ch[:delete]
          n, nl = buf(ch[:delete])
          check { |e| Native.gazette_apply_request_delete(req, n, nl, expect, e) }
        else
          spec = build_spec(ch)
          check { |e| Native.gazette_apply_request_upsert(req, spec, expect, e) }
        end
      end
      rev = FFI::MemoryPointer.new(:int64)
      check { |e| Native.gazette_apply(@ptr, req, 0, Call.ms(timeout), rev, e) }
      rev.read_int64
    end

    private

    def set_str(cfg, fn, value)
      v, vl = buf(value)
      check { |e| Native.public_send(fn, cfg, v, vl, e) }
    end

    def with_options(offset)
      return yield(nil) if offset.nil?

      o = Call.auto(Native.gazette_append_options_new, :gazette_append_options_free)
      check { |e| Native.gazette_append_options_set_offset(o, offset, e) }
      yield o
    end

    def append_streamed(journal, offset, timeout)
      w = with_options(offset) { |o| Appender.new(self, journal, o, timeout) }
      begin
        yield w
      rescue Exception
        w.abort
        raise
      end
      w.commit
    end

    def build_spec(ch)
      n, nl = buf(ch[:upsert])
      out = FFI::MemoryPointer.new(:pointer)
      check { |e| Native.gazette_journal_spec_new(n, nl, out, e) }
      spec = Call.auto(out.read_pointer, :gazette_journal_spec_free)
      (ch[:labels] || {}).each do |k, v|
        a, al = buf(k)
        b, bl = buf(v)
        check { |e| Native.gazette_journal_spec_add_label(spec, a, al, b, bl, e) }
      end
      (ch[:stores] || []).each do |st|
        a, al = buf(st)
        check { |e| Native.gazette_journal_spec_add_store(spec, a, al, e) }
      end
      check { |e| Native.gazette_journal_spec_set_fragment_length(spec, ch[:fragment_length], e) } if ch[:fragment_length]
      check { |e| Native.gazette_journal_spec_set_replication(spec, ch[:replication], e) } if ch[:replication]
      spec
    end
  end
end
