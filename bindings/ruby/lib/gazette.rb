# frozen_string_literal: true

# Gazette journals from Ruby, through libgazette's C ABI (gazette.h).
# Set GAZETTE_LIB to the path of libgazette.so to use a build tree.
module Gazette
end

require_relative "gazette/native"
require_relative "gazette/errors"
require_relative "gazette/call"
require_relative "gazette/token_provider"
require_relative "gazette/client"
require_relative "gazette/reader"
require_relative "gazette/appender"
require_relative "gazette/append_service"
require_relative "gazette/op_futures"
require_relative "gazette/fragment"
require_relative "gazette/polled_list"
require_relative "gazette/watched_list"
