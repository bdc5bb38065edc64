using System.Numerics;
using System.Runtime.CompilerServices;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// Cash and positions as fills and payments change them, with each position's average entry price.
/// The simulated venue keeps one (the venue's account) and the engine's ledger another (its own
/// book); both apply the same events in the same order with the same arithmetic, so they agree to the
/// bit, and a live ledger reconciles its account with the venue's instead.
/// </summary>
public sealed class Account
{
    private readonly double[] _units;
    private readonly double[] _entryPrice;
    private readonly ulong[] _held;

    /// <summary>An account of <paramref name="cash"/> and no positions in <paramref name="assets"/> assets.</summary>
    public Account(int assets, double cash)
    {
        _units = new double[assets];
        _entryPrice = new double[assets];
        _entryPrice.AsSpan().Fill(double.NaN);
        _held = new ulong[(assets + 63) / 64];
        Cash = cash;
    }

    /// <summary>
    /// The assets with a position, in ascending order (the order a loop over every asset skipping flat ones
    /// visits them, so sums over them come out the same to the bit), without visiting the flat ones.
    /// </summary>
    public HeldAssets Held => new(_held);

    /// <summary>The cash balance: initial capital, less what fills bought, fees and funding paid.</summary>
    public double Cash { get; private set; }

    /// <summary>Signed position by asset (long &gt; 0).</summary>
    public ReadOnlySpan<double> Units => _units;

    /// <summary>Average entry price of each position (NaN when flat): set by the fill that opened it, averaged over fills that added to it.</summary>
    public ReadOnlySpan<double> EntryPrice => _entryPrice;

    /// <summary>
    /// Books a fill of <paramref name="quantity"/> (signed) at <paramref name="price"/> with <paramref name="fee"/>
    /// and returns the position before it. A position within 10⁻¹² of the fill's size of zero is zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double Fill(int asset, double quantity, double price, double fee)
    {
        Cash -= quantity * price + fee;
        var before = _units[asset];
        var after = before + quantity;
        _units[asset] = Math.Abs(after) < 1e-12 * Math.Abs(quantity) ? 0 : after;
        after = _units[asset];
        if (after == 0)
            _held[asset >> 6] &= ~(1UL << asset);
        else
            _held[asset >> 6] |= 1UL << asset;
        _entryPrice[asset] = EntryAfter(before, after, quantity, _entryPrice[asset], price);
        return before;
    }

    /// <summary>
    /// The average entry price of a position of <paramref name="before"/> units entered at <paramref name="entry"/> once
    /// <paramref name="quantity"/> more fill at <paramref name="price"/>, making <paramref name="after"/>: the fill's price for
    /// a position opened or turned around, the average for one added to, unchanged for one reduced, NaN when flat.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double EntryAfter(double before, double after, double quantity, double entry, double price)
    {
        if (after == 0)
            return double.NaN;
        if (before == 0 || (after > 0) != (before > 0))
            return price;
        if ((quantity > 0) == (before > 0))
            return ((entry * Math.Abs(before)) + (price * Math.Abs(quantity))) / Math.Abs(after);
        return entry;
    }

    /// <summary>Sets cash, positions and entry prices as a saved account held them (a restarted runner's book).</summary>
    internal void Restore(double cash, ReadOnlySpan<double> units, ReadOnlySpan<double> entryPrice)
    {
        Cash = cash;
        units.CopyTo(_units);
        entryPrice.CopyTo(_entryPrice);
        Array.Clear(_held);
        for (var i = 0; i < _units.Length; i++)
        {
            if (_units[i] != 0)
                _held[i >> 6] |= 1UL << i;
        }
    }

    /// <summary>Pays <paramref name="amount"/> out of cash (funding; negative: received).</summary>
    public void Pay(double amount) => Cash -= amount;

    /// <summary>Sets a negative balance to zero: a liquidation takes everything and no more.</summary>
    public void Floor() => Cash = Math.Max(Cash, 0);

    /// <summary>Returns cash plus every position marked at <paramref name="prices"/>, with the gross and net notional.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double Mark(ReadOnlySpan<double> prices, out double grossNotional, out double netNotional)
    {
        grossNotional = 0;
        netNotional = 0;
        foreach (var i in Held)
        {
            var notional = _units[i] * prices[i];
            grossNotional += Math.Abs(notional);
            netNotional += notional;
        }
        return Cash + netNotional;
    }
}

/// <summary>
/// The assets of an account with a position, ascending. A position closed while the walk is on is not visited
/// if the walk has not reached its word of 64 assets yet; the loops that close positions close the one visited.
/// </summary>
public ref struct HeldAssets
{
    private readonly ulong[] _words;
    private int _word;
    private ulong _bits;

    internal HeldAssets(ulong[] words)
    {
        _words = words;
        _word = -1;
        _bits = 0;
        Current = -1;
    }

    /// <summary>The asset at hand.</summary>
    public int Current { get; private set; }

    /// <summary>Returns this walk, for <c>foreach</c>.</summary>
    public readonly HeldAssets GetEnumerator() => this;

    /// <summary>Moves to the next asset with a position; false when there is none.</summary>
    public bool MoveNext()
    {
        while (_bits == 0)
        {
            if (++_word >= _words.Length)
                return false;
            _bits = _words[_word];
        }
        Current = (_word << 6) + BitOperations.TrailingZeroCount(_bits);
        _bits &= _bits - 1;
        return true;
    }
}
