using System.Buffers.Binary;
using System.Text;
using StrategyLab.Runtime.Data.Cache;

namespace StrategyLab.Runtime.Models;

/// <summary>
/// The envelope of a saved model: the 8 bytes "SLMODEL\n", a 4-byte kind ("GBDT", "RIDG", "LOGR"),
/// the format version (int32), the payload length (int64), the payload, and the XxHash64 of the
/// payload. Reading refuses a foreign, truncated, newer or corrupt file with a one-line message.
/// </summary>
internal static class ModelFile
{
    private static readonly byte[] Magic = "SLMODEL\n"u8.ToArray();
    private const int HeaderLength = 8 + 4 + 4 + 8;

    internal static void Write(Stream stream, string kind, int version, Action<BinaryWriter> writePayload)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
            writePayload(writer);
        var bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        Span<byte> header = stackalloc byte[HeaderLength];
        Magic.CopyTo(header);
        Encoding.ASCII.GetBytes(kind, header.Slice(8, 4));
        BinaryPrimitives.WriteInt32LittleEndian(header.Slice(12), version);
        BinaryPrimitives.WriteInt64LittleEndian(header.Slice(16), bytes.Length);
        stream.Write(header);
        stream.Write(bytes);
        Span<byte> checksum = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(checksum, XxHash64.Hash(bytes));
        stream.Write(checksum);
    }

    /// <summary>Checks the envelope and returns a reader over the payload and the payload's format version.</summary>
    internal static (BinaryReader Reader, int Version) Read(Stream stream, string kind, string description, int newestVersion, string source)
    {
        var header = new byte[HeaderLength];
        var got = ReadFully(stream, header);
        if (got < 8 || !header.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException($"{source} is not a StrategyLab model file");
        if (got < HeaderLength)
            throw new InvalidDataException($"{source} is truncated: its header is incomplete");
        var found = Encoding.ASCII.GetString(header, 8, 4);
        if (found != kind)
            throw new InvalidDataException($"{source} holds a '{found}' model, not a {description} ('{kind}')");
        var version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        if (version < 1 || version > newestVersion)
            throw new InvalidDataException($"{source} has {description} format version {version}; this build reads versions 1 to {newestVersion}");
        var length = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16));
        if (length < 0 || length > int.MaxValue - 64)
            throw new InvalidDataException($"{source} is corrupt: its payload length {length} is impossible");
        var payload = new byte[length + 8];
        if (ReadFully(stream, payload) != payload.Length)
            throw new InvalidDataException($"{source} is truncated: expected {length + 8} bytes after the header");
        var expected = BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan((int)length));
        if (XxHash64.Hash(payload.AsSpan(0, (int)length)) != expected)
            throw new InvalidDataException($"{source} is corrupt: its checksum does not match its contents");
        return (new BinaryReader(new MemoryStream(payload, 0, (int)length, writable: false), Encoding.UTF8), version);
    }

    internal static int ReadFully(Stream stream, byte[] buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = stream.Read(buffer, total, buffer.Length - total);
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }

    internal static void WriteArray(BinaryWriter writer, ReadOnlySpan<double> values)
    {
        writer.Write(values.Length);
        foreach (var v in values)
            writer.Write(v);
    }

    internal static double[] ReadDoubles(BinaryReader reader, int maxLength)
    {
        var n = ReadLength(reader, maxLength);
        var values = new double[n];
        for (var i = 0; i < n; i++)
            values[i] = reader.ReadDouble();
        return values;
    }

    internal static int ReadLength(BinaryReader reader, int maxLength)
    {
        var n = reader.ReadInt32();
        if (n < 0 || n > maxLength)
            throw new InvalidDataException($"array length {n} is out of range");
        return n;
    }
}
