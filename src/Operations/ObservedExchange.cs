using System.Diagnostics;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Operations;

/// <summary>
/// A venue whose every call is timed and reported to an <see cref="IVenueObserver"/> by operation (<c>place</c>,
/// <c>cancel</c>, <c>order</c>, <c>executions</c>, ...), as the runner sees it: retries and waits for the rate limit
/// included. A call fails when it throws; a venue's refusal of an order is an answer, not a failure.
/// </summary>
public sealed class ObservedExchange(IExchange venue, IVenueObserver observer) : IExchange
{
    /// <inheritdoc />
    public string Venue => venue.Venue;

    /// <inheritdoc />
    public DateTimeOffset Now => venue.Now;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Instrument>> Instruments(CancellationToken cancel = default) =>
        Timed("instruments", () => venue.Instruments(cancel));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<VenueBar>> Bars(string symbol, Interval interval, long from, long to, CancellationToken cancel = default) =>
        Timed("bars", () => venue.Bars(symbol, interval, from, to, cancel));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Balance>> Balances(CancellationToken cancel = default) => Timed("balances", () => venue.Balances(cancel));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<VenuePosition>> Positions(CancellationToken cancel = default) => Timed("positions", () => venue.Positions(cancel));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<OrderState>> OpenOrders(string? symbol = null, CancellationToken cancel = default) =>
        Timed("open_orders", () => venue.OpenOrders(symbol, cancel));

    /// <inheritdoc />
    public ValueTask<OrderState?> Order(string symbol, string clientOrderId, CancellationToken cancel = default) =>
        Timed("order", () => venue.Order(symbol, clientOrderId, cancel));

    /// <inheritdoc />
    public ValueTask<OrderState> Place(OrderRequest order, CancellationToken cancel = default) => Timed("place", () => venue.Place(order, cancel));

    /// <inheritdoc />
    public ValueTask<OrderState> Cancel(string symbol, string clientOrderId, CancellationToken cancel = default) =>
        Timed("cancel", () => venue.Cancel(symbol, clientOrderId, cancel));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ExecutionReport>> Executions(string symbol, long since, CancellationToken cancel = default) =>
        Timed("executions", () => venue.Executions(symbol, since, cancel));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<FundingPayment>> Funding(long since, CancellationToken cancel = default) =>
        Timed("funding", () => venue.Funding(since, cancel));

    private async ValueTask<T> Timed<T>(string operation, Func<ValueTask<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var answer = await call().ConfigureAwait(false);
            observer.Requested(operation, Stopwatch.GetElapsedTime(started), succeeded: true);
            return answer;
        }
        catch (Exception) when (Report(operation, started))
        {
            throw;
        }
    }

    // reports a failed call without catching it
    private bool Report(string operation, long started)
    {
        observer.Requested(operation, Stopwatch.GetElapsedTime(started), succeeded: false);
        return false;
    }
}
