using System.IO.MemoryMappedFiles;

namespace StrategyLab.Runtime.Data.Cache;

/// <summary>
/// A read-only memory map of a whole file. Pages are read from disk only when touched, so a
/// file larger than memory can be used, and the operating system may drop pages it needs back.
/// </summary>
public sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _pointer;

    /// <summary>Maps <paramref name="path"/> for reading.</summary>
    public MappedFile(string path)
    {
        Length = new FileInfo(path).Length;
        if (Length == 0)
            return;
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, Length, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _pointer = p + _view.PointerOffset;
    }

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>The bytes of the file; files over 2 GiB must be read through <see cref="Slice"/>.</summary>
    public ReadOnlySpan<byte> Bytes => Slice(0, checked((int)Length));

    /// <summary>A span of <paramref name="length"/> bytes from <paramref name="offset"/>.</summary>
    public ReadOnlySpan<byte> Slice(long offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, Length);
        return length == 0 ? default : new ReadOnlySpan<byte>(_pointer + offset, length);
    }

    /// <summary>The file as an array of <typeparamref name="T"/>.</summary>
    public ReadOnlySpan<T> As<T>() where T : unmanaged =>
        Length == 0 ? default : new ReadOnlySpan<T>(_pointer, checked((int)(Length / sizeof(T))));

    /// <inheritdoc />
    public void Dispose()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}

/// <summary>A column store whose arrays are memory-mapped cache files.</summary>
public sealed class MappedColumnStore(MappedFile times, IReadOnlyList<MappedFile> columns) : IColumnStore
{
    /// <inheritdoc />
    public ReadOnlySpan<long> Times => times.As<long>();

    /// <inheritdoc />
    public ReadOnlySpan<double> Column(int index) => columns[index].As<double>();

    /// <inheritdoc />
    public void Dispose()
    {
        times.Dispose();
        foreach (var c in columns)
            c.Dispose();
    }
}
