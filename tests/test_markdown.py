from classifier.markdown import markdown_table


def test_markdown_table_formats_floats_and_escapes_pipes():
    table = markdown_table(["label", "f1"], [("a|b", 0.5), ("c", 2)])
    assert table.splitlines() == [
        "| label | f1 |",
        "| --- | --- |",
        "| a\\|b | 0.5000 |",
        "| c | 2 |",
    ]


def test_markdown_table_without_rows_is_its_header():
    assert markdown_table(["x"], []) == "| x |\n| --- |"
