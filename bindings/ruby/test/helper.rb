# frozen_string_literal: true

# Starts one dev broker for the whole run (or uses GAZETTE_TEST_BROKER) and
# points the binding at the build tree's library unless GAZETTE_LIB is set.
require "json"
require "tmpdir"

ROOT = File.expand_path("../../..", __dir__)
ENV["GAZETTE_LIB"] ||= File.join(ROOT, "target/debug/libgazette.so")
$LOAD_PATH.unshift File.expand_path("../lib", __dir__)
require "gazette"
require "minitest/autorun"

module DevBroker
  def self.endpoint
    @endpoint ||= ENV["GAZETTE_TEST_BROKER"] || start
  end

  def self.start
    bin = ENV["GAZETTE_DEVBROKER"] || File.join(ROOT, "target/debug/gazette-devbroker")
    store = Dir.mktmpdir("gazette-ruby-test")
    # The broker exits at the end of its stdin, i.e. when this process does.
    io = IO.popen([bin, "--listen", "127.0.0.1:0", "--brokers", "1", "--store", store], "r+")
    ready = JSON.parse(io.gets || raise("dev broker #{bin} did not start"))
    at_exit do
      io.close_write
      io.read
      io.close
      FileUtils.rm_rf(store)
    end
    @io = io
    ready.fetch("endpoints").first
  end
end

module JournalHelper
  @@seq = 0

  def client
    @client ||= Gazette::Client.new(endpoints: [DevBroker.endpoint])
  end

  def new_journal
    @@seq += 1
    name = "ruby-test/#{Process.pid}-#{@@seq}"
    client.apply([{ upsert: name, labels: { "topic" => "ruby", "seq" => "#{Process.pid}-#{@@seq}" },
                    stores: ["file:///"], fragment_length: 1 << 20 }])
    # A broker may assign a fresh journal a little later.
    client.await_assignment(name, timeout: 30)
    name
  end

  def teardown
    @client&.close
  end
end
