# frozen_string_literal: true

require_relative "helper"

class TestFragments < Minitest::Test
  include JournalHelper

  def test_fragments_cover_the_appended_content
    j = new_journal
    client.append(j, "fragment ")
    client.append(j, "content")
    frags = client.fragments(j)
    refute_empty frags
    assert_equal 0, frags.first[:begin]
    assert_equal 16, frags.last[:end]
    frags.each_cons(2) { |x, y| assert_equal x[:end], y[:begin] }
    f = frags.first
    assert_match(/\A\h{40}\z/, f[:sum])
    assert_kind_of Integer, f[:compression_codec]
    assert_kind_of String, f[:path_postfix]
    # Not persisted yet: no store and no mod time; an end_mod_time bound
    # leaves such fragments out.
    assert_nil f[:mod_time] if f[:backing_store].empty?
    local = frags.count { |x| x[:mod_time].nil? }
    assert_equal frags.size - local, client.fragments(j, end_mod_time: Time.now + 3600).size
    assert_raises(Gazette::JournalNotFound) { client.fragments("ruby-test/missing-fragments") }
  end
end
