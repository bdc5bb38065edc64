using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace StrategyLab.Exchanges.History;

/// <summary>
/// An append-only history CSV whose first column is a Unix-millisecond key that strictly increases row by row.
/// Opening an existing file checks its header, cuts off a partially written last line (left by a killed process)
/// and finds the last complete row, so a download can continue right after it. Each <see cref="Append"/> writes a
/// whole page and flushes it to disk (fsync) before returning, so a crash loses at most the page in flight.
/// The one change to rows already written is <see cref="ReplaceLast"/>, which swaps in a whole new file, so the
/// file holds the old last row or the new one at every moment, never neither and never a torn one.
/// </summary>
internal sealed class HistoryCsvFile : IDisposable
{
    private const int TailChunk = 4096;
    private const int CopyChunk = 1 << 20;

    /// <summary>Appended to the file's path for the new file <see cref="ReplaceLast"/> writes before renaming it over the file.</summary>
    public const string ReplacementSuffix = ".replacing";

    private readonly int _fieldCount;
    private FileStream _stream;
    private long _lastLineStart;

    private HistoryCsvFile(string path, FileStream stream, int fieldCount)
    {
        Path = path;
        _stream = stream;
        _fieldCount = fieldCount;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Key of the first row, or null when the file holds no rows.</summary>
    public long? FirstKey { get; private set; }

    /// <summary>Key of the last complete row, or null when the file holds no rows.</summary>
    public long? LastKey { get; private set; }

    /// <summary>The last complete row without its line break, or null when the file holds no rows.</summary>
    public string? LastLine { get; private set; }

    /// <summary>Key of the last row the file held when it was opened, or null.</summary>
    public long? KeyAtOpen { get; private set; }

    /// <summary>Rows appended since the file was opened.</summary>
    public long RowsAppended { get; private set; }

    /// <summary>Rows replaced by <see cref="ReplaceLast"/> since the file was opened.</summary>
    public long RowsReplaced { get; private set; }

    /// <summary>Called after each step of <see cref="ReplaceLast"/> that changes what is on disk; tests stop it there as a kill would.</summary>
    internal Action<ReplaceStep>? AfterReplaceStep { get; set; }

    /// <summary>
    /// Opens or creates <paramref name="path"/> for appending rows under <paramref name="header"/>.
    /// A repair of a partial last line is logged and added to <paramref name="notes"/>.
    /// </summary>
    public static HistoryCsvFile Open(string path, string header, ILogger log, ICollection<string> notes)
    {
        FileStream stream;
        try
        {
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            RemoveUnfinishedReplacement(path, log, notes);
            stream = OpenStream(path, FileMode.OpenOrCreate);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ExchangeException(ExchangeErrorKind.LocalFile, $"cannot open {path} for writing: {e.Message}", e);
        }

        var file = new HistoryCsvFile(path, stream, header.Split(',').Length);
        try
        {
            file.Prepare(header, log, notes);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Appends rows (each without its line break) whose keys strictly increase after <see cref="LastKey"/>,
    /// then flushes them to disk.
    /// </summary>
    public void Append(IReadOnlyList<(long Key, string Line)> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var text = new StringBuilder(rows.Count * 128);
        var last = LastKey;
        foreach (var (key, line) in rows)
        {
            if (last is { } previous && key <= previous)
            {
                throw new InvalidOperationException($"row key {key} does not follow {previous} in {Path}");
            }

            if (line.Split(',').Length != _fieldCount)
            {
                throw new InvalidOperationException($"row '{line}' does not have {_fieldCount} fields for {Path}");
            }

            text.Append(line).Append('\n');
            last = key;
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        long length;
        try
        {
            _stream.Seek(0, SeekOrigin.End);
            _stream.Write(bytes);
            _stream.Flush(flushToDisk: true);
            length = _stream.Length;
        }
        catch (IOException e)
        {
            // whole lines already on disk stay valid; a partial one is cut off by the next run
            throw new ExchangeException(ExchangeErrorKind.LocalFile, $"cannot write to {Path}: {e.Message.ReplaceLineEndings(" ")}", e);
        }

        FirstKey ??= rows[0].Key;
        LastKey = last;
        LastLine = rows[^1].Line;
        _lastLineStart = length - Encoding.UTF8.GetByteCount(LastLine) - 1;
        RowsAppended += rows.Count;
    }

    /// <summary>
    /// Replaces the last row, whose key is <paramref name="key"/>, with <paramref name="line"/>. The rows before it and
    /// the new row are written to <c>&lt;file&gt;.replacing</c> and flushed to disk, and that file is renamed over this
    /// one: a rename is atomic, so a crash at any point leaves this file as it was or as it is meant to be. A leftover
    /// <c>.replacing</c> file is removed by the next <see cref="Open"/>.
    /// </summary>
    public void ReplaceLast(long key, string line)
    {
        if (LastKey != key)
        {
            throw new InvalidOperationException($"row key {key} is not the last row's ({LastKey}) in {Path}");
        }

        if (line.Split(',').Length != _fieldCount)
        {
            throw new InvalidOperationException($"row '{line}' does not have {_fieldCount} fields for {Path}");
        }

        var replacement = Path + ReplacementSuffix;
        try
        {
            WriteReplacement(replacement, line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(replacement);
            throw new ExchangeException(ExchangeErrorKind.LocalFile, $"cannot write {replacement}: {e.Message.ReplaceLineEndings(" ")}", e);
        }

        AfterReplaceStep?.Invoke(ReplaceStep.Written);

        // the rename needs the file closed on some systems; it is reopened, old or new, whatever happens
        _stream.Dispose();
        try
        {
            File.Move(replacement, Path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _stream = OpenStream(Path, FileMode.Open);
            TryDelete(replacement);
            throw new ExchangeException(ExchangeErrorKind.LocalFile, $"cannot rename {replacement} over {Path}: {e.Message.ReplaceLineEndings(" ")}", e);
        }

        _stream = OpenStream(Path, FileMode.Open);
        AfterReplaceStep?.Invoke(ReplaceStep.Renamed);
        LastLine = line;
        RowsReplaced++;
    }

    public void Dispose() => _stream.Dispose();

    private static FileStream OpenStream(string path, FileMode mode) =>
        new(path, mode, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);

    // every byte before the last line, then the new last line, flushed to disk before it can replace the file
    private void WriteReplacement(string replacement, string line)
    {
        using var copy = new FileStream(replacement, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var buffer = new byte[(int)Math.Min(CopyChunk, Math.Max(_lastLineStart, 1))];
        _stream.Seek(0, SeekOrigin.Begin);
        for (var left = _lastLineStart; left > 0;)
        {
            var count = _stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (count == 0)
            {
                throw new IOException($"{Path} ended before its last row");
            }

            copy.Write(buffer, 0, count);
            left -= count;
        }

        copy.Write(Encoding.UTF8.GetBytes(line + "\n"));
        copy.Flush(flushToDisk: true);
    }

    // a .replacing file is only ever complete once it has been renamed away, so one still there is unfinished
    private static void RemoveUnfinishedReplacement(string path, ILogger log, ICollection<string> notes)
    {
        var replacement = path + ReplacementSuffix;
        if (!File.Exists(replacement))
        {
            return;
        }

        File.Delete(replacement);
        log.LogWarning("Removed {Replacement}, an unfinished replacement of the last row of {Path} left by an interrupted download; {Path} is as it was before it", replacement, path, path);
        notes.Add($"removed {replacement}, an unfinished replacement of the last row of {path} left by an interrupted download");
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the next Open removes it
        }
    }

    private void Prepare(string header, ILogger log, ICollection<string> notes)
    {
        var length = _stream.Length;
        if (length == 0)
        {
            WriteHeader(header);
            return;
        }

        var headerEnd = IndexOfNewline(0, Math.Min(length, TailChunk));
        if (headerEnd < 0)
        {
            // a header cut short by a crash while the file was being created
            var partial = ReadText(0, (int)Math.Min(length, TailChunk));
            if (header.StartsWith(partial, StringComparison.Ordinal))
            {
                _stream.SetLength(0);
                WriteHeader(header);
                Repaired(log, notes, length);
                return;
            }

            throw new ExchangeException(ExchangeErrorKind.LocalFile, $"{Path} does not start with the header line '{header}'; move it away or choose another directory");
        }

        var found = ReadText(0, (int)headerEnd).TrimEnd('\r');
        if (!string.Equals(found, header, StringComparison.Ordinal))
        {
            throw new ExchangeException(
                ExchangeErrorKind.LocalFile,
                $"{Path} has the header '{Clip(found)}', expected '{header}'; move it away or choose another directory");
        }

        if (ReadByte(length - 1) != '\n')
        {
            var lastBreak = LastIndexOfNewline(length - 1);
            var keep = lastBreak + 1;
            _stream.SetLength(keep);
            _stream.Flush(flushToDisk: true);
            Repaired(log, notes, length - keep);
            length = keep;
        }

        if (length == headerEnd + 1)
        {
            return;
        }

        var lastStart = LastIndexOfNewline(length - 2) + 1;
        LastLine = ReadText(lastStart, (int)(length - 1 - lastStart));
        LastKey = ParseKey(LastLine, "last");
        _lastLineStart = lastStart;
        KeyAtOpen = LastKey;
        var firstEnd = IndexOfNewline(headerEnd + 1, length);
        FirstKey = ParseKey(ReadText(headerEnd + 1, (int)(firstEnd - headerEnd - 1)), "first");
    }

    private void Repaired(ILogger log, ICollection<string> notes, long bytesRemoved)
    {
        log.LogWarning("Removed a partial last line ({Bytes} bytes) from {Path}, left by an interrupted download", bytesRemoved, Path);
        notes.Add($"removed a partial last line ({bytesRemoved} bytes) from {Path}, left by an interrupted download");
    }

    private long ParseKey(string line, string which)
    {
        var fields = line.TrimEnd('\r').Split(',');
        if (fields.Length != _fieldCount)
        {
            throw new ExchangeException(
                ExchangeErrorKind.LocalFile,
                $"{Path}: the {which} row '{Clip(line)}' has {fields.Length} fields, expected {_fieldCount}; move the file away to download it again");
        }

        if (!long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var key))
        {
            throw new ExchangeException(
                ExchangeErrorKind.LocalFile,
                $"{Path}: the {which} row starts with '{Clip(fields[0])}', expected a time in Unix milliseconds; move the file away to download it again");
        }

        return key;
    }

    private void WriteHeader(string header)
    {
        _stream.Seek(0, SeekOrigin.Begin);
        _stream.Write(Encoding.UTF8.GetBytes(header + "\n"));
        _stream.Flush(flushToDisk: true);
    }

    private int ReadByte(long position)
    {
        _stream.Seek(position, SeekOrigin.Begin);
        return _stream.ReadByte();
    }

    private string ReadText(long position, int count)
    {
        var buffer = new byte[count];
        _stream.Seek(position, SeekOrigin.Begin);
        _stream.ReadExactly(buffer);
        return Encoding.UTF8.GetString(buffer);
    }

    // first '\n' in [from, to), or -1
    private long IndexOfNewline(long from, long to)
    {
        var buffer = new byte[TailChunk];
        for (var at = from; at < to; at += TailChunk)
        {
            var count = (int)Math.Min(TailChunk, to - at);
            _stream.Seek(at, SeekOrigin.Begin);
            _stream.ReadExactly(buffer, 0, count);
            var i = Array.IndexOf(buffer, (byte)'\n', 0, count);
            if (i >= 0)
            {
                return at + i;
            }
        }

        return -1;
    }

    // last '\n' at or before position, or -1
    private long LastIndexOfNewline(long position)
    {
        var buffer = new byte[TailChunk];
        var end = position + 1;
        while (end > 0)
        {
            var start = Math.Max(0, end - TailChunk);
            var count = (int)(end - start);
            _stream.Seek(start, SeekOrigin.Begin);
            _stream.ReadExactly(buffer, 0, count);
            var i = Array.LastIndexOf(buffer, (byte)'\n', count - 1, count);
            if (i >= 0)
            {
                return start + i;
            }

            end = start;
        }

        return -1;
    }

    private static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "…";
}

/// <summary>The steps of <see cref="HistoryCsvFile.ReplaceLast"/> after which what is on disk has changed.</summary>
internal enum ReplaceStep
{
    /// <summary>The new file is complete and flushed beside the old one, which is untouched.</summary>
    Written,

    /// <summary>The new file has been renamed over the old one.</summary>
    Renamed,
}
