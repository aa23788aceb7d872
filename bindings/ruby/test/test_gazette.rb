# frozen_string_literal: true

require_relative "helper"
require "timeout"

class TestGazette < Minitest::Test
  include JournalHelper

  def test_append_and_read
    j = new_journal
    assert_equal [0, 6], client.append(j, "hello ")
    b, e = client.append(j) do |w|
      w << "wor"
      w.write("ld")
    end
    assert_equal [6, 11], [b, e]
    assert_equal "hello world", client.read(j, end_offset: 11)
    chunks = client.reader(j, end_offset: 11, retrying: false).to_a
    assert_equal "hello world", chunks.join
    r = client.reader(j, end_offset: 11)
    assert_equal "", r.read(0)
    assert_equal "hel", r.read(3)
    assert_equal "lo world", r.read
    assert_nil r.read(1)
  end

  def test_block_append_aborts_on_exception
    j = new_journal
    assert_raises(RuntimeError) do
      client.append(j) do |w|
        w << "never visible"
        raise "encoding failed"
      end
    end
    assert_equal [0, 2], client.append(j, "ok")
    assert_equal "ok", client.read(j, end_offset: 2)
  end

  def test_exception_families
    err = assert_raises(Gazette::JournalNotFound) { client.append("ruby-test/missing", "x") }
    assert_kind_of Gazette::BrokerError, err
    assert_kind_of Gazette::Error, err
    assert_raises(Gazette::UsageError) { client.append("/not/clean/", "x") }
    j = new_journal
    assert_raises(Gazette::OffsetNotYetAvailable) { client.reader(j, block: false, retrying: false).read(1) }
    assert_raises(Gazette::WrongAppendOffset) { client.append(j, "x", offset: 42) }
    assert_equal Gazette::UnsupportedError, Gazette.error_class(306)
    assert_operator Gazette::UnsupportedError, :<, Gazette::ClientError
  end

  def test_await_assignment
    j = new_journal
    assert_nil client.await_assignment(j, timeout: 5)
    err = assert_raises(Gazette::ClientError) { client.await_assignment("ruby-test/missing", timeout: 5) }
    assert_match(/ruby-test\/missing|does not exist/i, err.message)
  end

  def test_async_appends
    j = new_journal
    svc = client.append_service
    futures = Array.new(50) { |i| svc.append(j, format("%02d", i)) }
    futures.each { |f| assert f.wait(30) }
    assert futures.all?(&:done?)
    svc.close
    data = client.read(j, end_offset: 100)
    assert_equal (0...50).map { |i| format("%02d", i) }.join, data
  end

  def test_list_and_apply
    j = new_journal
    listed = client.list("topic=ruby")
    entry = listed.find { |x| x[:name] == j }
    refute_nil entry
    assert_operator entry[:primary], :>=, 0
    refute_empty entry[:route]
    assert_includes entry[:labels], %w[topic ruby]
    client.apply([{ delete: j, expect: entry[:mod_revision] }])
    assert_nil client.list("topic=ruby").find { |x| x[:name] == j }
  end

  # While one thread waits in a blocking read (C side, GVL released in
  # slices), another Ruby thread keeps running and finally feeds the reader.
  def test_other_threads_progress_during_blocking_read
    j = new_journal
    reader = client.reader(j, end_offset: 4)
    result = nil
    t = Thread.new { result = reader.read }
    ticks = 0
    ticks += 1 until ticks >= 1000 && t.status == "sleep" || !t.alive?
    assert t.alive?, "the reader should still be waiting"
    # This thread made progress (ticks) and can append while the reader waits.
    client.append(j, "ping")
    t.join
    assert_equal "ping", result
    assert_operator ticks, :>=, 1000
  end

  def test_blocking_read_is_interruptible
    j = new_journal
    reader = client.reader(j)
    t = Thread.new do
      reader.read(10)
    rescue Interrupt
      :interrupted
    end
    Thread.pass until t.status == "sleep" || !t.alive?
    t.raise(Interrupt)
    assert_equal :interrupted, t.value
  end

  # Timeout.timeout interrupts a read that would wait forever, between slices.
  def test_timeout_interrupts_blocking_read
    j = new_journal
    reader = client.reader(j)
    assert_raises(Timeout::Error) { Timeout.timeout(0.2) { reader.read(10) } }
    # A read with its own timeout raises the binding's TimeoutError.
    assert_raises(Gazette::TimeoutError) { client.reader(j).next_chunk(timeout: 0.1) }
  end

  # Readers and open transactions dropped without close are freed by
  # their finalizers; a dropped transaction is rolled back (else it would
  # hold up the next append to the journal).
  def test_finalizers_free_dropped_handles
    j = new_journal
    client.append(j, "x")
    10.times do
      client.reader(j, end_offset: 1).next_chunk
      Gazette::Appender.new(client, j, nil, 5).write("dropped")
    end
    GC.start
    assert_equal [1, 2], client.append(j, "y")
    assert_equal "xy", client.read(j, end_offset: 2)
  end
end
