# frozen_string_literal: true

require "ffi"

module Gazette
  # The C functions, attached as declared in gazette.h. Every function that
  # may wait is attached with `blocking: true` (the GVL is released while it
  # runs) and is called with a short timeout in a loop (see Call), so other
  # threads run and Timeout / Ctrl-C are seen between slices.
  module Native
    extend FFI::Library
    ffi_lib ENV.fetch("GAZETTE_LIB", ["gazette", "libgazette.so.0"])

    class Event < FFI::Struct
      layout :tag, :uint64, :kind, :int32, :status, :int32
    end

    S = :int32 # gazette_status
    P = :pointer
    def self.fn(name, args, ret, blocking: false)
      attach_function name, args, ret, blocking: blocking
    end

    fn :gazette_status_name, [:int32], :string
    fn :gazette_status_is_retryable, [:int32], :bool
    fn :gazette_error_free, [P], :void
    fn :gazette_error_message, [P], :string
    fn :gazette_error_status, [P], S
    fn :gazette_version_string, [], :string

    fn :gazette_config_new, [], P
    fn :gazette_config_free, [P], :void
    fn :gazette_config_add_endpoint, [P, P, :size_t, P], S
    fn :gazette_config_set_zone, [P, P, :size_t, P], S
    fn :gazette_config_set_bearer_token, [P, P, :size_t, P], S
    fn :gazette_config_set_file_root, [P, P, :size_t, P], S
    fn :gazette_config_set_connect_timeout_ms, [P, :int64, P], S
    fn :gazette_config_set_request_timeout_ms, [P, :int64, P], S
    fn :gazette_config_set_tls_ca_file, [P, P, :size_t, P], S
    fn :gazette_config_set_tls_ca_pem, [P, P, :size_t, P], S
    fn :gazette_config_set_tls_client_cert, [P, P, :size_t, P, :size_t, P], S
    fn :gazette_config_set_tls_server_name, [P, P, :size_t, P], S
    fn :gazette_config_set_auth_keys, [P, P, :size_t, P], S
    fn :gazette_config_set_auth_token_lifetime_ms, [P, :int64, P], S
    # gazette_token_provider_fn(userdata, capability, selector, selector_len, lifetime_ms, out)
    callback :gazette_token_provider_fn, [P, :uint32, P, :size_t, :int64, P], :int32
    fn :gazette_config_set_token_provider, [P, :gazette_token_provider_fn, P, P], S
    fn :gazette_token_set, [P, P, :size_t, :int64, P], S
    fn :gazette_client_new, [P, P, P], S
    fn :gazette_client_free, [P], :void
    fn :gazette_client_close, [P, :int32, P], S, blocking: true

    fn :gazette_append_options_new, [], P
    fn :gazette_append_options_free, [P], :void
    fn :gazette_append_options_set_offset, [P, :int64, P], S
    fn :gazette_append, [P, P, :size_t, P, :size_t, P, :int32, P, P, P], S, blocking: true
    fn :gazette_appender_new, [P, P, :size_t, P, P, P], S
    fn :gazette_appender_write, [P, P, :size_t, :int32, P], S, blocking: true
    fn :gazette_appender_close, [P, :int32, P, P, P], S, blocking: true
    fn :gazette_appender_abort, [P, :int32, P], S, blocking: true
    fn :gazette_appender_free, [P], :void

    fn :gazette_read_options_new, [], P
    fn :gazette_read_options_free, [P], :void
    fn :gazette_read_options_set_offset, [P, :int64, P], S
    fn :gazette_read_options_set_end_offset, [P, :int64, P], S
    fn :gazette_read_options_set_block, [P, :bool, P], S
    fn :gazette_read_options_set_do_not_proxy, [P, :bool, P], S
    %w[reader retry_reader].each do |k|
      fn :"gazette_#{k}_new", [P, P, :size_t, P, P, P], S
      fn :"gazette_#{k}_free", [P], :void
      fn :"gazette_#{k}_cancel", [P], :void
      fn :"gazette_#{k}_read", [P, P, :size_t, :int32, P, P], S, blocking: true
      fn :"gazette_#{k}_next", [P, :int32, P, P, P], S, blocking: true
      fn :"gazette_#{k}_offset", [P], :int64
      fn :"gazette_#{k}_write_head", [P], :int64
      fn :"gazette_#{k}_seek", [P, :int64, :int32, P], S, blocking: true
    end

    fn :gazette_append_service_new, [P, P, P, P], S
    fn :gazette_append_service_free, [P], :void
    fn :gazette_append_service_close, [P, :int32, P], S, blocking: true
    fn :gazette_append_service_start, [P, P, :size_t, P, P, :int32, P, P], S, blocking: true
    fn :gazette_async_append_write, [P, P, :size_t, P], S
    fn :gazette_async_append_release, [P, P, P], S
    fn :gazette_append_future_wait, [P, :int32, P], S, blocking: true
    fn :gazette_append_future_status, [P], S
    fn :gazette_append_future_error, [P], P
    fn :gazette_append_future_free, [P], :void
    fn :gazette_append_future_commit_begin, [P], :int64
    fn :gazette_append_future_commit_end, [P], :int64
    fn :gazette_append_future_journal, [P], :string
    fn :gazette_append_future_batch, [P], :uint64
    fn :gazette_append_service_pending_except, [P, P, :size_t, P, P], S
    fn :gazette_op_futures_new, [], P
    fn :gazette_op_futures_free, [P], :void
    fn :gazette_op_futures_add, [P, P, P], S
    fn :gazette_op_futures_len, [P], :size_t

    fn :gazette_journal_spec_new, [P, :size_t, P, P], S
    fn :gazette_journal_spec_free, [P], :void
    fn :gazette_journal_spec_add_label, [P, P, :size_t, P, :size_t, P], S
    fn :gazette_journal_spec_add_store, [P, P, :size_t, P], S
    fn :gazette_journal_spec_set_replication, [P, :int32, P], S
    fn :gazette_journal_spec_set_fragment_length, [P, :int64, P], S
    fn :gazette_apply_request_new, [], P
    fn :gazette_apply_request_free, [P], :void
    fn :gazette_apply_request_upsert, [P, P, :int64, P], S
    fn :gazette_apply_request_delete, [P, P, :size_t, :int64, P], S
    fn :gazette_apply, [P, P, :size_t, :int32, P, P], S, blocking: true
    fn :gazette_list_journals, [P, P, :size_t, :int32, P, P], S, blocking: true
    fn :gazette_client_await_assignment, [P, P, :size_t, :int32, P], S, blocking: true
    fn :gazette_journal_list_free, [P], :void
    fn :gazette_journal_list_len, [P], :size_t
    fn :gazette_journal_list_get, [P, :size_t], P
    fn :gazette_journal_name, [P], :string
    fn :gazette_journal_mod_revision, [P], :int64
    fn :gazette_journal_label_count, [P], :size_t
    fn :gazette_journal_label_name, [P, :size_t], :string
    fn :gazette_journal_label_value, [P, :size_t], :string
    fn :gazette_journal_route_len, [P], :size_t
    fn :gazette_journal_route_endpoint, [P, :size_t], :string
    fn :gazette_journal_route_primary, [P], :int32
    fn :gazette_list_fragments, [P, P, :size_t, :int64, :int64, :int32, P, P], S, blocking: true
    fn :gazette_fragment_list_free, [P], :void
    fn :gazette_fragment_list_len, [P], :size_t
    fn :gazette_fragment_list_get, [P, :size_t], P
    fn :gazette_fragment_begin, [P], :int64
    fn :gazette_fragment_end, [P], :int64
    fn :gazette_fragment_sum, [P], :string
    fn :gazette_fragment_compression_codec, [P], :int32
    fn :gazette_fragment_backing_store, [P], :string
    fn :gazette_fragment_mod_time, [P], :int64
    fn :gazette_fragment_path_postfix, [P], :string
    fn :gazette_polled_list_new, [P, P, :size_t, :int32, :int32, P, P], S, blocking: true
    fn :gazette_polled_list_get, [P, P, P], S
    fn :gazette_polled_list_wait_update, [P, :int32, P], S, blocking: true
    fn :gazette_polled_list_free, [P], :void
    fn :gazette_watched_list_new, [P, P, :size_t, P, P], S
    fn :gazette_watched_list_get, [P, P, P], S
    fn :gazette_watched_list_wait_update, [P, :int32, P], S, blocking: true
    fn :gazette_watched_list_free, [P], :void
    fn :gazette_status_count, [], :size_t
    fn :gazette_status_at, [:size_t], :int32
  end
end
