from auditor.load.markdown_blocks import markdown_to_text, parse_blocks


def test_emphasis_html_and_comments():
    text = markdown_to_text("**TRUE** <font color=red>because</font> <!-- hidden: False --> yes\n\n<!-- a\nwhole comment -->")
    assert "TRUE because" in text and "hidden" not in text and "whole comment" not in text


def test_html_block_keeps_text():
    blocks = parse_blocks('<div class="alert"><b><u>Answer 3:</u></b> False</div>')
    assert blocks[0].text == "Answer 3: False"


def test_list_markers_and_headings():
    blocks = parse_blocks("### CNNs\n\n5. first\n6. second\n\n- bullet")
    assert blocks[0].kind == "heading" and blocks[0].level == 3
    assert [(b.marker, b.text) for b in blocks[1:]] == [("5.", "first"), ("6.", "second"), ("-", "bullet")]


def test_framing_line_does_not_make_a_heading():
    blocks = parse_blocks("True. Because of X\n-----------")
    assert blocks[0].kind == "paragraph" and blocks[0].text.startswith("True.")


def test_images_are_not_text():
    assert markdown_to_text("![alt text](http://example.com/x.png)") == ""
