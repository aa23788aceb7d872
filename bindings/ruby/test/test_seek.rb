# frozen_string_literal: true

require_relative "helper"

class TestSeek < Minitest::Test
  include JournalHelper

  def test_retry_reader_seeks_anywhere
    j = new_journal
    client.append(j, "hello world")
    r = client.reader(j, end_offset: 11)
    assert_equal "hello", r.read(5)
    assert_equal 6, r.seek(6)
    assert_equal "world", r.read
    assert_nil r.read(1)
    # Back to the start, after the end of the stream: it reads again.
    assert_equal 0, r.seek(0)
    assert_equal "hello world", r.read
    assert_equal 11, r.tell
  end

  def test_plain_reader_seeks_within_received_bytes
    j = new_journal
    client.append(j, "hello world")
    r = client.reader(j, end_offset: 11, retrying: false)
    assert_equal "he", r.read(2)
    assert_equal 6, r.seek(4, IO::SEEK_CUR)
    assert_equal "wor", r.read(3)
    err = assert_raises(Gazette::SeekRequiresNewReader) { r.seek(0) }
    assert_kind_of Gazette::ClientError, err
    assert_equal 9, r.offset
    assert_equal "ld", r.read
    assert_raises(ArgumentError) { r.seek(0, IO::SEEK_END) }
  end
end
