using System.Runtime.CompilerServices;

namespace StrategyLab.Runtime.Execution;

/// <summary>The bar a rule acts at.</summary>
public readonly record struct RiskContext(int Bar, long Time);

/// <summary>
/// A rule on target weights, targets → targets (fractions of equity by asset, 0 flat), run in chain
/// order before the execution policy sizes orders: the strategy cannot opt out by its signals.
/// </summary>
public interface IRiskRule
{
    /// <summary>Changes the bar's targets in place.</summary>
    void Apply(Span<double> targets, in RiskContext context);
}

/// <summary><c>risk max_position X</c>: no asset's weight beyond ±X (1, the default, is one times equity).</summary>
public sealed class MaxPositionRiskRule(double fraction) : IRiskRule
{
    /// <summary>The largest absolute weight.</summary>
    public double Fraction { get; } = fraction >= 0 ? fraction : throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "a maximum position is at least 0");

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(Span<double> targets, in RiskContext context) => Rows.Clamp(targets, Fraction);
}

/// <summary>What an account rule calls for at a bar's close.</summary>
public enum AccountVerdict : byte
{
    /// <summary>Nothing.</summary>
    None,
    /// <summary>Flatten the book and open nothing until the next UTC day.</summary>
    HaltForDay,
    /// <summary>Flatten the book and stop trading for good.</summary>
    Stop,
}

/// <summary>The account at a bar's close as the rules see it: equity, and whether trading is stopped or halted (on which day).</summary>
public readonly record struct AccountState(int Bar, long Day, double Equity, bool Stopped, long HaltedDay);

/// <summary>
/// A per-bar check of the account that can flatten the book and halt or stop trading, with an alert
/// when it acts. The engine runs these in order at each close; the first that acts ends the checks
/// of that bar.
/// </summary>
public interface IAccountRule
{
    /// <summary>The rule's name in alerts, e.g. <c>daily_loss</c>.</summary>
    string Name { get; }

    /// <summary>A bar of UTC day <paramref name="day"/> opens; <paramref name="previousEquity"/> closed the bar before.</summary>
    void Open(long day, double previousEquity);

    /// <summary>Returns what the account calls for, and the alert's text when it is not <see cref="AccountVerdict.None"/>.</summary>
    AccountVerdict Check(in AccountState account, out string message);

    /// <summary>The bar closed with <paramref name="equity"/> after every trade of it.</summary>
    void Closed(double equity);

    /// <summary>Returns what the rule remembers between bars (a drawdown's peak, a day's opening equity), for a restart.</summary>
    double[] Save();

    /// <summary>Takes up what <see cref="Save"/> returned, so that a restarted runner decides as an uninterrupted one.</summary>
    void Restore(ReadOnlySpan<double> state);
}

/// <summary><c>risk max_drawdown X -> stop</c>: equity more than X below its peak flattens the book and stops trading for good.</summary>
public sealed class MaxDrawdownRiskRule(double fraction, double initialEquity) : IAccountRule
{
    private double _peak = initialEquity;

    /// <summary>The largest drawdown from the peak, a fraction.</summary>
    public double Fraction { get; } = fraction;

    /// <inheritdoc />
    public string Name => "max_drawdown";

    /// <inheritdoc />
    public void Open(long day, double previousEquity)
    {
    }

    /// <inheritdoc />
    public AccountVerdict Check(in AccountState account, out string message)
    {
        message = "";
        if (account.Stopped || !(account.Equity < _peak * (1 - Fraction)))
            return AccountVerdict.None;
        message = $"equity {account.Equity:F2} is more than {Fraction:P1} below its peak {_peak:F2}: flattened, trading stopped";
        return AccountVerdict.Stop;
    }

    /// <inheritdoc />
    public void Closed(double equity) => _peak = Math.Max(_peak, equity);

    /// <inheritdoc />
    public double[] Save() => [_peak];

    /// <inheritdoc />
    public void Restore(ReadOnlySpan<double> state) => _peak = state[0];
}

/// <summary>
/// <c>risk daily_loss X -> flatten and halt</c>: equity more than X below the UTC day's opening equity
/// (the close of the day's first bar's predecessor) flattens the book and halts trading until the next day.
/// </summary>
public sealed class DailyLossRiskRule(double fraction, double initialEquity) : IAccountRule
{
    private double _dayStart = initialEquity;
    private long _day = long.MinValue;

    /// <summary>The largest loss within a day, a fraction of the day's opening equity.</summary>
    public double Fraction { get; } = fraction;

    /// <inheritdoc />
    public string Name => "daily_loss";

    /// <inheritdoc />
    public void Open(long day, double previousEquity)
    {
        if (_day != long.MinValue && day != _day)
            _dayStart = previousEquity;
        _day = day;
    }

    /// <inheritdoc />
    public AccountVerdict Check(in AccountState account, out string message)
    {
        message = "";
        if (account.Day == account.HaltedDay || !(account.Equity < _dayStart * (1 - Fraction)))
            return AccountVerdict.None;
        message = $"equity {account.Equity:F2} is more than {Fraction:P1} below the day's start {_dayStart:F2}: flattened, halted until the next UTC day";
        return AccountVerdict.HaltForDay;
    }

    /// <inheritdoc />
    public void Closed(double equity)
    {
    }

    /// <inheritdoc />
    public double[] Save() => [_dayStart, _day];

    /// <inheritdoc />
    public void Restore(ReadOnlySpan<double> state)
    {
        _dayStart = state[0];
        // days since the epoch (and long.MinValue, a power of two) are exact in a double
        _day = (long)state[1];
    }
}
