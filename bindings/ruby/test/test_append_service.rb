# frozen_string_literal: true

require_relative "helper"

# Async appends with dependencies and pending_except barriers.
class TestAppendService < Minitest::Test
  include JournalHelper

  def svc
    @svc ||= client.append_service
  end

  def teardown
    @svc&.close
    super
  end

  def test_append_after_committed_dependencies
    a = new_journal
    b = new_journal
    first = svc.append(a, "first\n")
    deps = Gazette::OpFutures.new(first)
    assert_equal 1, deps.size
    second = svc.append(b, "second\n", deps: deps)
    third = svc.append(b, "third\n", deps: [first, second])
    assert third.wait(30)
    # A dependant goes out only after its dependencies committed.
    assert first.done?
    assert second.done?
    assert_nil third.error
    assert_equal "second\nthird\n", client.read(b, end_offset: 13)
    assert_equal b, third.journal
  end

  def test_failed_dependency_fails_the_dependant
    j = new_journal
    missing = svc.append("ruby-test/missing-#{Process.pid}", "lost\n")
    assert_raises(Gazette::JournalNotFound) { missing.wait(30) }
    assert_kind_of Gazette::JournalNotFound, missing.error
    dependant = svc.append(j, "never\n", deps: missing)
    err = assert_raises(Gazette::DependencyFailed) { dependant.wait(30) }
    assert_kind_of Gazette::ClientError, err
    assert_kind_of Gazette::DependencyFailed, dependant.error
  end

  # pending_except holds the failed journal's operation, so depending on
  # it is a barrier that fails too.
  def test_pending_except_barrier
    j = new_journal
    missing = "ruby-test/missing-barrier-#{Process.pid}"
    assert_raises(Gazette::JournalNotFound) { svc.append(missing, "lost\n").wait(30) }
    barrier = svc.pending_except(j)
    refute_empty barrier
    assert_raises(Gazette::DependencyFailed) { svc.append(j, "after the barrier\n", deps: barrier).wait(30) }
    # A new service has nothing pending and no failed journal.
    fresh = client.append_service
    assert_empty fresh.pending_except
    fresh.close
  end

  def test_pending_except_orders_after_pending_appends
    a = new_journal
    b = new_journal
    pending = Array.new(20) { |i| svc.append(a, format("%02d", i)) }
    barrier = svc.pending_except(b)
    last = svc.append(b, "after\n", deps: barrier)
    assert last.wait(30)
    assert pending.all?(&:done?), "appends to #{a} pending at the barrier committed first"
    assert_equal (0...20).map { |i| format("%02d", i) }.join, client.read(a, end_offset: 40)
  end

  # Appends released back to back are batched; futures share a batch
  # number exactly when they share a commit span.
  def test_future_batch
    j = new_journal
    futures = Array.new(50) { |i| svc.append(j, format("%02d", i)) }
    futures.each { |f| assert f.wait(30) }
    batch_of = {}
    span_of = {}
    futures.each_with_index do |f, i|
      refute_equal 0, f.batch
      b, e = f.commit
      assert_operator b, :<=, 2 * i
      assert_operator e, :>=, 2 * i + 2
      assert_equal batch_of[[b, e]], f.batch if batch_of.key?([b, e])
      assert_equal span_of[f.batch], [b, e] if span_of.key?(f.batch)
      batch_of[[b, e]] = f.batch
      span_of[f.batch] = [b, e]
    end
  end
end
