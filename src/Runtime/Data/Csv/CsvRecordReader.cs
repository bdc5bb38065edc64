namespace StrategyLab.Runtime.Data.Csv;

/// <summary>
/// Splits UTF-8 CSV text into records and fields without allocating per field (RFC 4180 quoting,
/// LF, CRLF or CR-only line ends, an optional byte-order mark). Blank lines are skipped.
/// </summary>
public ref struct CsvRecordReader
{
    private readonly ReadOnlySpan<byte> _text;
    private int _position;
    private int _linesBefore;
    private int[] _starts;
    private int[] _ends;

    /// <summary>Starts reading <paramref name="text"/>; <paramref name="lineOffset"/> numbers lines of a tail.</summary>
    public CsvRecordReader(ReadOnlySpan<byte> text, int lineOffset = 0)
    {
        _text = text;
        _position = text.StartsWith("\uFEFF"u8) ? 3 : 0;
        _starts = new int[16];
        _ends = new int[16];
        _linesBefore = lineOffset;
        Line = lineOffset;
        FieldCount = 0;
    }

    /// <summary>The 1-based line number in the file where the current record starts.</summary>
    public int Line { get; private set; }

    /// <summary>
    /// The line where the current record's last field opens a quote that never closes (the field then
    /// runs to the end of the text), or 0.
    /// </summary>
    public int UnclosedQuoteLine { get; private set; }

    /// <summary>The number of fields of the current record.</summary>
    public int FieldCount { get; private set; }

    /// <summary>The byte offset just past the current record (where the next one starts).</summary>
    public readonly int Position => _position;

    /// <summary>The raw bytes of field <paramref name="index"/> with surrounding quotes removed.</summary>
    public readonly ReadOnlySpan<byte> Field(int index) => _text[_starts[index].._ends[index]];

    /// <summary>Field <paramref name="index"/> as a string, with doubled quotes undone.</summary>
    public readonly string FieldString(int index) =>
        System.Text.Encoding.UTF8.GetString(Field(index)).Replace("\"\"", "\"", StringComparison.Ordinal);

    /// <summary>The number of lines <paramref name="text"/> ends: LF, CRLF and a lone CR each end one.</summary>
    public static int CountLines(ReadOnlySpan<byte> text)
    {
        var lines = text.Count((byte)'\n');
        for (var i = text.IndexOf((byte)'\r'); i >= 0; i = NextCarriageReturn(text, i))
        {
            if (i + 1 == text.Length || text[i + 1] != (byte)'\n')
                lines++;
        }
        return lines;
    }

    /// <summary>Moves to the next non-blank record; false at the end of the text.</summary>
    public bool MoveNext()
    {
        while (_position < _text.Length)
        {
            if (IsLineEnd(_text[_position]))
            {
                _position = PastLineEnd(_position);
                _linesBefore++;
                continue;
            }
            Line = _linesBefore + 1;
            ReadRecord();
            return true;
        }
        return false;
    }

    private static int NextCarriageReturn(ReadOnlySpan<byte> text, int after)
    {
        var next = text[(after + 1)..].IndexOf((byte)'\r');
        return next < 0 ? -1 : after + 1 + next;
    }

    private static bool IsLineEnd(byte b) => b is (byte)'\n' or (byte)'\r';

    // the offset past the line end at p: "\r\n" is one line end
    private readonly int PastLineEnd(int p) =>
        _text[p] == (byte)'\r' && p + 1 < _text.Length && _text[p + 1] == (byte)'\n' ? p + 2 : p + 1;

    private void ReadRecord()
    {
        FieldCount = 0;
        UnclosedQuoteLine = 0;
        var p = _position;
        while (true)
        {
            int start, end;
            if (p < _text.Length && _text[p] == (byte)'"')
            {
                (start, end, p) = ReadQuoted(p);
            }
            else
            {
                start = p;
                var stop = _text[p..].IndexOfAny((byte)',', (byte)'\n', (byte)'\r');
                p = stop < 0 ? _text.Length : p + stop;
                end = p;
            }
            Add(start, end);
            if (p >= _text.Length || _text[p] != (byte)',')
            {
                _position = p >= _text.Length ? p : PastLineEnd(p);
                _linesBefore++;
                return;
            }
            p++; // past the comma
        }
    }

    // a quoted field from its opening quote at p: its content, and where the field ends (a comma, a line end or the end of the text)
    private (int Start, int End, int Next) ReadQuoted(int p)
    {
        var openedOn = _linesBefore + 1;
        var start = p + 1;
        p = start;
        while (p < _text.Length)
        {
            var b = _text[p];
            if (b == (byte)'"')
            {
                if (p + 1 < _text.Length && _text[p + 1] == (byte)'"')
                {
                    p += 2;
                    continue;
                }
                var end = p;
                // anything between the closing quote and the field's end is ignored
                var stop = _text[(p + 1)..].IndexOfAny((byte)',', (byte)'\n', (byte)'\r');
                return (start, end, stop < 0 ? _text.Length : p + 1 + stop);
            }
            if (IsLineEnd(b))
            {
                p = PastLineEnd(p);
                _linesBefore++;
                continue;
            }
            p++;
        }
        UnclosedQuoteLine = openedOn;
        return (start, _text.Length, _text.Length);
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
