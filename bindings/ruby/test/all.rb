# frozen_string_literal: true

# Runs every test file of this directory in one process (one dev broker).
Dir[File.join(__dir__, "test_*.rb")].sort.each { |f| require f }
