using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// What a venue pushes: closed bars as they close, and the account's order, fill, balance and position changes.
/// Streams reconnect on their own; bars missed while disconnected are fetched and delivered in order without
/// duplicates, and account events that may have been missed are announced by an <see cref="AccountStreamGap"/>, after
/// which the caller reconciles with <see cref="IExchange"/>'s account reads. Enumeration ends only when cancelled.
/// </summary>
public interface IMarketFeed
{
    /// <summary>
    /// Closed bars of <paramref name="symbol"/> opening at or after <paramref name="since"/> (Unix ms), oldest first,
    /// each once: first those already closed, then each as it closes.
    /// </summary>
    IAsyncEnumerable<VenueBar> StreamBars(string symbol, Interval interval, long since, CancellationToken cancel = default);

    /// <summary>The account's changes as the venue pushes them.</summary>
    IAsyncEnumerable<AccountEvent> StreamAccount(CancellationToken cancel = default);
}

/// <summary>A change of the account pushed by the venue, at the venue's <see cref="Time"/>.</summary>
public abstract record AccountEvent(DateTimeOffset Time);

/// <summary>An order changed: accepted, filled (with <see cref="Execution"/>), cancelled, expired or rejected.</summary>
public sealed record OrderEvent(DateTimeOffset Time, OrderState Order, ExecutionReport? Execution) : AccountEvent(Time);

/// <summary>An asset's wallet balance after a change (fill, fee, funding, transfer).</summary>
public sealed record BalanceEvent(DateTimeOffset Time, string Asset, decimal WalletBalance, string Reason) : AccountEvent(Time);

/// <summary>A position after a change; a quantity of 0 means flat.</summary>
public sealed record PositionEvent(DateTimeOffset Time, VenuePosition Position) : AccountEvent(Time);

/// <summary>
/// The stream was interrupted (a dropped connection, an expired session) and is live again: changes in between may
/// not have been pushed, so the caller reads orders, positions and balances again.
/// </summary>
public sealed record AccountStreamGap(DateTimeOffset Time, string Reason) : AccountEvent(Time);
