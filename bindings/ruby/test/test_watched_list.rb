# frozen_string_literal: true

require_relative "helper"

class TestWatchedList < Minitest::Test
  include JournalHelper

  def test_watched_list_sees_the_journal
    j = new_journal
    assert_raises(Gazette::UsageError) { client.watched_list("=bad=") }
    wl = client.watched_list("seq=#{j.split('/').last}")
    listed = nil
    5.times do
      assert wl.wait_update(10), "a snapshot within 10 s"
      listed = wl.journals
      break if listed && !listed.empty?
    end
    assert_equal [j], listed.map { |x| x[:name] }
    wl.close
  end

  def test_status_table
    all = Gazette.statuses
    assert_operator all.size, :>, 50
    assert_equal all.sort, all
    assert_equal 0, all.first
    assert_includes all, 306
    all.each { |s| refute_equal "GAZETTE_STATUS_UNKNOWN", Gazette::Native.gazette_status_name(s) }
  end
end
