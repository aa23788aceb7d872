# frozen_string_literal: true

module Gazette
  # Base of every error raised by the binding; #status is the gazette_status.
  class Error < StandardError
    attr_reader :status

    def initialize(status, message = nil)
      @status = status
      name = Native.gazette_status_name(status)
      super(message && !message.empty? ? "#{name}: #{message}" : name)
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

  SPECIFIC = {
    1 => TimeoutError, 2 => TimeoutError, 4 => OffsetJump, 5 => CancelledError,
    201 => JournalNotFound, 206 => OffsetNotYetAvailable, 211 => WrongAppendOffset,
    300 => SeekRequiresNewReader, 305 => DependencyFailed, 306 => UnsupportedError
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
      else InternalError
      end
    end
  end
end
