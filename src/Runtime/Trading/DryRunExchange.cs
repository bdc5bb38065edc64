using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Trading;

/// <summary>
/// A venue read but never written: instruments, bars, balances, positions, orders and executions come from
/// <paramref name="venue"/>; an order placed is answered as accepted and kept here, never sent; a cancel of one answers it
/// cancelled, a cancel of an order at the venue answers its state and leaves it there. A dry run decides and shows its orders on the real account without trading.
/// </summary>
public sealed class DryRunExchange(IExchange venue) : IExchange
{
    private readonly Dictionary<string, OrderState> _orders = new(StringComparer.Ordinal);

    /// <summary>The orders that would have been sent, in order.</summary>
    public IReadOnlyList<OrderState> Unsent => [.. _orders.Values];

    /// <inheritdoc />
    public string Venue => venue.Venue;

    /// <inheritdoc />
    public DateTimeOffset Now => venue.Now;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Instrument>> Instruments(CancellationToken cancel = default) => venue.Instruments(cancel);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<VenueBar>> Bars(string symbol, Interval interval, long from, long to, CancellationToken cancel = default) =>
        venue.Bars(symbol, interval, from, to, cancel);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Balance>> Balances(CancellationToken cancel = default) => venue.Balances(cancel);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<VenuePosition>> Positions(CancellationToken cancel = default) => venue.Positions(cancel);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<OrderState>> OpenOrders(string? symbol = null, CancellationToken cancel = default) =>
        [.. await venue.OpenOrders(symbol, cancel).ConfigureAwait(false), .. _orders.Values.Where(o => !o.IsDone && (symbol is null || o.Symbol == symbol))];

    /// <inheritdoc />
    public ValueTask<OrderState?> Order(string symbol, string clientOrderId, CancellationToken cancel = default) =>
        _orders.TryGetValue(clientOrderId, out var own) ? new(own) : venue.Order(symbol, clientOrderId, cancel);

    /// <inheritdoc />
    public ValueTask<OrderState> Place(OrderRequest order, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        var state = new OrderState(order.ClientOrderId, null, order.Symbol, order.Side, order.Type, order.Quantity, 0, order.Price, 0, OrderStatus.New, Now,
            "dry run: not sent");
        _orders[order.ClientOrderId] = state;
        return new(state);
    }

    /// <inheritdoc />
    public async ValueTask<OrderState> Cancel(string symbol, string clientOrderId, CancellationToken cancel = default)
    {
        if (!_orders.TryGetValue(clientOrderId, out var own))
        {
            // an order at the venue stays there: its state as it is
            return await venue.Order(symbol, clientOrderId, cancel).ConfigureAwait(false)
                ?? throw new ExchangeError($"dry run: the venue has no order {clientOrderId} of {symbol}", ExchangeErrorKind.Rejected);
        }
        var cancelled = own with { Status = OrderStatus.Canceled, UpdatedAt = Now };
        _orders[clientOrderId] = cancelled;
        return cancelled;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ExecutionReport>> Executions(string symbol, long since, CancellationToken cancel = default) =>
        venue.Executions(symbol, since, cancel);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<FundingPayment>> Funding(long since, CancellationToken cancel = default) => venue.Funding(since, cancel);
}
