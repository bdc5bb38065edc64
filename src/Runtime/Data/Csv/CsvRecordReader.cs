namespace StrategyLab.Runtime.Data.Csv;

/// <summary>
/// Splits UTF-8 CSV text into records and fields without allocating per field (RFC 4180 quoting,
/// LF or CRLF line ends, an optional byte-order mark). Blank lines are skipped.
/// </summary>
public ref struct CsvRecordReader
{
    private readonly ReadOnlySpan<byte> _text;
    private int _position;
    private int[] _starts;
    private int[] _ends;

    /// <summary>Starts reading <paramref name="text"/>; <paramref name="lineOffset"/> numbers lines of a tail.</summary>
    public CsvRecordReader(ReadOnlySpan<byte> text, int lineOffset = 0)
    {
        _text = text;
        _position = text.StartsWith("\uFEFF"u8) ? 3 : 0;
        _starts = new int[16];
        _ends = new int[16];
        Line = lineOffset;
        FieldCount = 0;
    }

    /// <summary>The 1-based line number of the current record in the file.</summary>
    public int Line { get; private set; }

    /// <summary>The number of fields of the current record.</summary>
    public int FieldCount { get; private set; }

    /// <summary>The byte offset just past the current record (where the next one starts).</summary>
    public readonly int Position => _position;

    /// <summary>The raw bytes of field <paramref name="index"/> with surrounding quotes removed.</summary>
    public readonly ReadOnlySpan<byte> Field(int index) => _text[_starts[index].._ends[index]];

    /// <summary>Field <paramref name="index"/> as a string, with doubled quotes undone.</summary>
    public readonly string FieldString(int index) =>
        System.Text.Encoding.UTF8.GetString(Field(index)).Replace("\"\"", "\"", StringComparison.Ordinal);

    /// <summary>Moves to the next non-blank record; false at the end of the text.</summary>
    public bool MoveNext()
    {
        while (_position < _text.Length)
        {
            Line++;
            if (_text[_position] == (byte)'\n')
            {
                _position++;
                continue;
            }
            if (_text[_position] == (byte)'\r' && _position + 1 < _text.Length && _text[_position + 1] == (byte)'\n')
            {
                _position += 2;
                continue;
            }
            ReadRecord();
            return true;
        }
        return false;
    }

    private void ReadRecord()
    {
        FieldCount = 0;
        var p = _position;
        while (true)
        {
            int start, end;
            if (p < _text.Length && _text[p] == (byte)'"')
            {
                start = p + 1;
                p = start;
                while (p < _text.Length)
                {
                    if (_text[p] == (byte)'"')
                    {
                        if (p + 1 < _text.Length && _text[p + 1] == (byte)'"')
                        {
                            p += 2;
                            continue;
                        }
                        break;
                    }
                    if (_text[p] == (byte)'\n')
                        Line++;
                    p++;
                }
                end = p;
                p = Math.Min(p + 1, _text.Length);
                while (p < _text.Length && _text[p] is not ((byte)',' or (byte)'\n'))
                    p++;
            }
            else
            {
                start = p;
                var rest = _text[p..];
                var stop = rest.IndexOfAny((byte)',', (byte)'\n');
                p = stop < 0 ? _text.Length : p + stop;
                end = p;
                if (end > start && _text[end - 1] == (byte)'\r')
                    end--;
            }
            Add(start, end);
            if (p >= _text.Length || _text[p] == (byte)'\n')
            {
                _position = Math.Min(p + 1, _text.Length);
                return;
            }
            p++; // past the comma
        }
    }

    private void Add(int start, int end)
    {
        if (FieldCount == _starts.Length)
        {
            Array.Resize(ref _starts, _starts.Length * 2);
            Array.Resize(ref _ends, _ends.Length * 2);
        }
        _starts[FieldCount] = start;
        _ends[FieldCount] = end;
        FieldCount++;
    }
}
