"""The codebook (data/README.md), the CSV headers and the schema in forecast.data document the same columns."""

from forecast import codebook, data


def test_codebook_files_and_schema_agree():
    assert codebook.codebook_problems() == []


def test_every_table_is_documented_with_every_column():
    documented = codebook.codebook_columns()
    for table, fields in data.TABLES.items():
        assert [name for name, _ in documented[table]] == [field.name for field in fields]


def test_check_fails_when_a_column_leaves_the_file_only(data_copy):
    rounds = data_copy / "rounds.csv"
    lines = rounds.read_text().splitlines()
    header = lines[0].split(",")
    drop = header.index("bodies_agreed")
    # Drop the column from every record (naively: the test rows have no quoted commas before this column).
    rebuilt = [",".join(cell for i, cell in enumerate(line.split(",")) if i != drop) for line in lines]
    rounds.write_text("\n".join(rebuilt) + "\n")
    assert codebook.codebook_problems(data_copy) == ["rounds.csv: column 'bodies_agreed' is documented but missing from the file"]


def test_check_fails_when_a_column_leaves_the_codebook_only(data_copy):
    readme = data_copy / "README.md"
    readme.write_text("\n".join(line for line in readme.read_text().splitlines()
                                  if not line.startswith("| `mediator` | categories")) + "\n")
    problems = codebook.codebook_problems(data_copy)
    assert problems == ["rounds.csv: column 'mediator' is not documented in README.md",
                        "exchanges.csv: column 'mediator' is not documented in README.md"]


def test_check_fails_when_the_codebook_names_a_column_the_file_lacks(data_copy):
    readme = data_copy / "README.md"
    text = readme.read_text().replace(
        "| `notes` | text | | The other side's",
        "| `venue_notes` | text | | A column that does not exist. |\n| `notes` | text | | The other side's")
    readme.write_text(text)
    assert codebook.codebook_problems(data_copy) == [
        "exchanges.csv: column 'venue_notes' (in README.md) is not in the schema"]


def test_check_fails_when_a_documented_type_drifts(data_copy):
    readme = data_copy / "README.md"
    readme.write_text(readme.read_text().replace("| `swap_to_side_a` | count |", "| `swap_to_side_a` | text |"))
    assert codebook.codebook_problems(data_copy) == [
        "rounds.csv: README.md gives 'swap_to_side_a' the type 'text', the schema 'count'"]
