# frozen_string_literal: true

module Gazette
  # Base of every error raised by the binding; #status is the gazette_status.
  class Error < StandardError
    attr_reader :status

    def initialize(status, message = nil)
      @status = status
      name = Native.gazette_status_name(status)
      text = message && !message.empty? ? "#{name}: #{message}" : name
      hint = SECURITY_HINTS[status]
      super(hint ? "#{text} (Ruby: #{hint})" : text)
    end

    def retryable?
      Native.gazette_status_is_retryable(status)
    end
  end

  # One class per status family, plus the statuses callers branch on.
  class TimeoutError < Error; end          # TIMED_OUT / WOULD_BLOCK
  class OffsetJump < Error; end            # OFFSET_JUMP: reading may go on
  class CancelledError < Error; end        # CANCELLED
  class UsageError < Error; end            # 100..199: bad argument or state, closed, forked
  class BrokerError < Error; end           # 200..299: a broker status
  class JournalNotFound < BrokerError; end
  class OffsetNotYetAvailable < BrokerError; end
  class WrongAppendOffset < BrokerError; end
  class ClientError < Error; end           # 300..399: the client's own checks
  class UnsupportedError < ClientError; end # UNSUPPORTED: the broker is too old for the RPC
  class SeekRequiresNewReader < ClientError; end # the plain reader cannot seek there
  class DependencyFailed < ClientError; end # an async append's dependency failed
  class GrpcError < Error; end             # 400..449: a gRPC status
  class TransportError < Error; end        # 450..499: connection failures
  class FragmentError < Error; end         # 500..599: fetching or decoding fragments
  class InternalError < Error; end         # 900..: library bugs

  # TLS failures (600..609); each message says what to fix.
  class TLSError < Error; end
  class TLSUntrustedCertificate < TLSError; end       # set tls_ca_file: / tls_ca_pem:
  class TLSCertificateExpired < TLSError; end         # the broker's certificate (or this clock)
  class TLSWrongHost < TLSError; end                  # dial a listed name, or tls_server_name:
  class TLSClientCertificateRequired < TLSError; end  # set tls_client_cert: and tls_client_key:
  class TLSClientCertificateRejected < TLSError; end  # a certificate the broker's CA issued
  class TLSHandshakeError < TLSError; end             # another handshake failure
  # Authorization failures (610..619).
  class AuthError < Error; end
  class AuthTokenMissing < AuthError; end             # set auth_keys: or a token provider
  class AuthTokenExpired < AuthError; end             # retryable: a new token is asked for
  class AuthTokenInvalid < AuthError; end             # wrong key, malformed token
  class AuthCapabilityMissing < AuthError; end        # the token lacks the RPC's capability
  class AuthTokenProviderError < AuthError; end       # the token provider raised or gave no token

  # The keyword arguments of Client.new behind each security failure (the
  # library's own message names the C functions).
  SECURITY_HINTS = {
    600 => "pass tls_ca_file: or tls_ca_pem: with the CA that issued the brokers' certificates",
    601 => "the broker's certificate must be renewed, or this machine's clock is wrong",
    602 => "dial a name the certificate lists, or pass tls_server_name:",
    603 => "pass tls_client_cert: and tls_client_key:",
    604 => "use a client certificate issued by a CA in the broker's --tls-client-ca (tls_client_cert:)",
    605 => "check that the endpoint serves TLS and the tls_* arguments",
    610 => "pass auth_keys: (the brokers' --auth-keys) or a token provider",
    611 => "give the token provider's tokens a longer life, or check the clocks",
    612 => "auth_keys: must start with a key of the brokers' --auth-keys; or fix the provider's or bearer token",
    613 => "the token provider must grant the capability it is asked for",
    614 => "the token provider raised (1), returned no usable token (3), or its client was closed (4)"
  }.freeze

  SPECIFIC = {
    1 => TimeoutError, 2 => TimeoutError, 4 => OffsetJump, 5 => CancelledError,
    201 => JournalNotFound, 206 => OffsetNotYetAvailable, 211 => WrongAppendOffset,
    300 => SeekRequiresNewReader, 305 => DependencyFailed, 306 => UnsupportedError,
    600 => TLSUntrustedCertificate, 601 => TLSCertificateExpired, 602 => TLSWrongHost,
    603 => TLSClientCertificateRequired, 604 => TLSClientCertificateRejected, 605 => TLSHandshakeError,
    610 => AuthTokenMissing, 611 => AuthTokenExpired, 612 => AuthTokenInvalid,
    613 => AuthCapabilityMissing, 614 => AuthTokenProviderError
  }.freeze

  # Every status value the library defines, ascending (for own tables).
  def self.statuses
    Array.new(Native.gazette_status_count) { |i| Native.gazette_status_at(i) }
  end

  def self.error_class(status)
    SPECIFIC.fetch(status) do
      case status
      when 100..199 then UsageError
      when 200..299 then BrokerError
      when 300..399 then ClientError
      when 400..449 then GrpcError
      when 450..499 then TransportError
      when 500..599 then FragmentError
      when 600..609 then TLSError
      when 610..619 then AuthError
      else InternalError
      end
    end
  end
end
