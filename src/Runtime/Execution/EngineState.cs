using System.Buffers.Binary;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// What an engine remembers between bars, as it stood after bar <see cref="Bar"/> closed: the equity the next bar's
/// return is measured from, whether trading stopped for good or is halted (the UTC day), the book (cash, positions,
/// entry prices, last closes), each account rule's memory (a drawdown's peak, a day's opening equity) and each
/// position's exits (best price since entry, the bar held from, the end of a cooldown). A runner journals it with each
/// step, so that a restarted one takes up the same state and makes the same decisions as an uninterrupted one.
/// <see cref="ToBytes"/> keeps every double's bits.
/// </summary>
public sealed record EngineState(
    int Bar,
    double PreviousEquity,
    bool Stopped,
    long HaltedDay,
    double Cash,
    double[] Units,
    double[] EntryPrice,
    double[] LastClose,
    double[][] Rules,
    double[] Best,
    int[] HeldFrom,
    int[] CooldownUntil)
{
    private const int Version = 1;

    /// <summary>The state as bytes (little-endian, every double's bits kept).</summary>
    public byte[] ToBytes()
    {
        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream))
        {
            w.Write(Version);
            w.Write(Bar);
            w.Write(PreviousEquity);
            w.Write(Stopped);
            w.Write(HaltedDay);
            w.Write(Cash);
            Write(w, Units);
            Write(w, EntryPrice);
            Write(w, LastClose);
            w.Write(Rules.Length);
            foreach (var rule in Rules)
                Write(w, rule);
            Write(w, Best);
            w.Write(HeldFrom.Length);
            foreach (var x in HeldFrom)
                w.Write(x);
            w.Write(CooldownUntil.Length);
            foreach (var x in CooldownUntil)
                w.Write(x);
        }
        return stream.ToArray();
    }

    /// <summary>Reads what <see cref="ToBytes"/> wrote.</summary>
    /// <exception cref="FormatException">The bytes are not an engine state of this version.</exception>
    public static EngineState FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 4 || BinaryPrimitives.ReadInt32LittleEndian(bytes) != Version)
            throw new FormatException("the engine state is not of a version this runner reads");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes));
            r.ReadInt32();
            return new EngineState(r.ReadInt32(), r.ReadDouble(), r.ReadBoolean(), r.ReadInt64(), r.ReadDouble(), Doubles(r), Doubles(r), Doubles(r),
                [.. Enumerable.Range(0, r.ReadInt32()).Select(_ => Doubles(r))], Doubles(r), Ints(r), Ints(r));
        }
        catch (EndOfStreamException)
        {
            throw new FormatException("the engine state is cut short");
        }
    }

    private static void Write(BinaryWriter w, double[] values)
    {
        w.Write(values.Length);
        foreach (var x in values)
            w.Write(x);
    }

    private static double[] Doubles(BinaryReader r)
    {
        var values = new double[r.ReadInt32()];
        for (var i = 0; i < values.Length; i++)
            values[i] = r.ReadDouble();
        return values;
    }

    private static int[] Ints(BinaryReader r)
    {
        var values = new int[r.ReadInt32()];
        for (var i = 0; i < values.Length; i++)
            values[i] = r.ReadInt32();
        return values;
    }
}
