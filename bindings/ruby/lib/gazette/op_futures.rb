# frozen_string_literal: true

module Gazette
  # A set of append operations that a later async append depends on: it is
  # dispatched only after every one of them committed, and fails with
  # DependencyFailed if one failed. Built from Futures, or by
  # AppendService#pending_except.
  #
  #   deps = Gazette::OpFutures.new(f1, f2)
  #   svc.append("logs/b", "after f1 and f2\n", deps: deps)
  class OpFutures
    include Call

    attr_reader :ptr # :nodoc:

    # A set of the given Futures. The set keeps their operations, not the
    # Futures, which may be dropped afterwards.
    def initialize(*futures, ptr: nil)
      @ptr = Call.auto(ptr || Native.gazette_op_futures_new, :gazette_op_futures_free)
      futures.each { |f| add(f) }
    end

    # Adds a Future's operation; returns self.
    def add(future)
      check { |e| Native.gazette_op_futures_add(@ptr, future.ptr, e) }
      self
    end
    alias << add

    def size
      Native.gazette_op_futures_len(@ptr)
    end
    alias length size

    def empty?
      size.zero?
    end

    # deps: given as an OpFutures, a Future, an Array of Futures or nil.
    def self.from(deps) # :nodoc:
      case deps
      when nil, OpFutures then deps
      when Future then new(deps)
      else new(*deps)
      end
    end
  end
end
