# frozen_string_literal: true

module Gazette
  # Converts a gazette_fragment_list into Hashes (see Client#fragments).
  module Fragment
    module_function

    # Takes ownership of the list and returns its fragments as Hashes.
    def all(ptr) # :nodoc:
      list = Call.auto(ptr, :gazette_fragment_list_free)
      Array.new(Native.gazette_fragment_list_len(list)) { |i| to_h(Native.gazette_fragment_list_get(list, i)) }
    end

    # :mod_time is nil (and :backing_store "") while a fragment is only
    # local to brokers, not persisted yet.
    def to_h(f) # :nodoc:
      mod = Native.gazette_fragment_mod_time(f)
      { begin: Native.gazette_fragment_begin(f), end: Native.gazette_fragment_end(f),
        sum: Native.gazette_fragment_sum(f), compression_codec: Native.gazette_fragment_compression_codec(f),
        backing_store: Native.gazette_fragment_backing_store(f), mod_time: mod.positive? ? Time.at(mod) : nil,
        path_postfix: Native.gazette_fragment_path_postfix(f) }
    end
  end
end
