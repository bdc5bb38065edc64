using System.Globalization;
using Microsoft.Extensions.Logging;
using StrategyLab.Exchanges.Bybit.Common;
using StrategyLab.Exchanges.Bybit.Http;
using StrategyLab.Exchanges.Bybit.WebSocket;
using StrategyLab.Exchanges.Streaming;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Bybit;

/// <summary>
/// Bybit v5 linear USDT perpetuals as an <see cref="IExchange"/> and <see cref="IMarketFeed"/>: instruments with their
/// filters and leverage limits, closed bars, the unified account, Limit (GTC, PostOnly, IOC), Market and reduce-only
/// conditional Market orders by order link id, fills and funding, kline streams and the private stream. An order is
/// sent once (again only after 10006, a refusal before anything was done): when no definite answer comes (timeout,
/// dropped connection, 5xx, 10000, 10016) it is looked up by its order link id, and the call answers with what the
/// venue holds, or fails saying whether the order is known not to exist (<see cref="ErrorKind.VenueFailure"/>: send
/// it again) or could not be determined (<see cref="ErrorKind.Unknown"/>). Keys come from
/// <see cref="BybitCredentials"/> and appear in no log line or error message.
/// </summary>
/// <example>
/// <code>
/// using var bybit = new BybitExchange(new BybitOptions { Environment = BybitEnvironment.For(testnet: true) }, BybitCredentials.FromEnvironment(testnet: true));
/// await bybit.UseOneWayMode();
/// var order = await bybit.Place(new OrderRequest("run1-0001", "BTCUSDT", OrderSide.Buy, OrderType.Limit, 0.001m, 60000m, TimeInForce: TimeInForce.PostOnly));
/// </code>
/// </example>
public sealed class BybitExchange : IExchange, IMarketFeed, IOneWayAccount, IRateLimited, IDisposable
{
    // the kline page documents limit as [1, 200]
    private const int KlinesPerPage = 200;
    private static readonly long HistoryWindowMs = (long)TimeSpan.FromDays(7).TotalMilliseconds - 1;

    // how far past its reading of the venue's clock a query of the account's history reaches: the venue may stamp a fill
    // a little later than the client thinks it is there (drift between syncs, half a round trip), and it lists nothing
    // from the future anyway
    private static readonly long ClockMarginMs = (long)TimeSpan.FromMinutes(1).TotalMilliseconds;

    private readonly BybitOptions _options;
    private readonly BybitHttpClient _http;
    private readonly ILogger _log;

    /// <summary>Creates a client; without <paramref name="credentials"/> only public data (instruments, bars, kline streams) can be read.</summary>
    /// <exception cref="ExchangeException">The options are invalid.</exception>
    public BybitExchange(BybitOptions? options = null, BybitCredentials? credentials = null)
    {
        _options = options ?? new BybitOptions();
        _options.Validate();
        _log = _options.Logger;
        _http = new BybitHttpClient(_options, credentials);
    }

    /// <summary>
    /// A client for production or, with <paramref name="testnet"/> (the <c>--testnet</c> switch), the testnet, with the
    /// matching keys from the environment or the <c>.env</c> file at <paramref name="envFile"/>.
    /// </summary>
    /// <exception cref="ExchangeException">The keys are missing or the options invalid (kind <see cref="Exchanges.ExchangeErrorKind.InvalidRequest"/>).</exception>
    public static BybitExchange FromEnvironment(bool testnet, BybitOptions? options = null, string? envFile = ".env", System.Collections.IDictionary? environment = null)
    {
        var credentials = BybitCredentials.FromEnvironment(testnet, envFile, environment);
        return new BybitExchange((options ?? new BybitOptions()) with { Environment = BybitEnvironment.For(testnet) }, credentials);
    }

    /// <summary>Where this client connects.</summary>
    public BybitEnvironment Environment => _options.Environment;

    /// <inheritdoc/>
    public string Venue => _options.Environment.IsTestnet ? "bybit-linear-testnet" : "bybit-linear";

    /// <inheritdoc/>
    public DateTimeOffset Now => _http.Clock.GetUtcNow();

    /// <summary>The venue's clock as read so far.</summary>
    public VenueClock VenueClock => _http.Clock;

    /// <summary>
    /// Each endpoint's requests used of its window's limit (named by its path, e.g. <c>/v5/order/create</c>), as Bybit's
    /// <c>X-Bapi-Limit</c> and <c>X-Bapi-Limit-Status</c> headers last said; none used once the window has reset.
    /// </summary>
    public IReadOnlyList<RateLimitUse> RateLimits() => _http.RateLimits.Uses();

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Instrument>> Instruments(CancellationToken cancel = default)
    {
        var instruments = new List<Instrument>();
        string? cursor = null;
        do
        {
            var page = await Call(() => _http.GetInstruments(cursor, cancel)).ConfigureAwait(false);
            instruments.AddRange(page.List
                .Where(i => i.Status == "Trading" && i.ContractType == "LinearPerpetual" && i.SettleCoin == _options.SettleCoin)
                .Select(i => new Instrument(i.Symbol, i.BaseCoin, i.QuoteCoin, i.TickSize, i.QtyStep, i.MinOrderQty, i.MinNotionalValue, (int)Math.Floor(i.MaxLeverage))));
            cursor = page.Cursor;
        }
        while (cursor is not null);

        return instruments;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<VenueBar>> Bars(string symbol, Interval interval, long from, long to, CancellationToken cancel = default)
    {
        var name = BybitIntervals.Name(interval);
        await Call(() => EnsureClock(cancel)).ConfigureAwait(false);
        var closedBy = _http.Clock.Earliest(_options.TimeProvider.GetUtcNow()).ToUnixTimeMilliseconds();
        var bars = new SortedDictionary<long, VenueBar>();

        // Bybit answers the newest klines of the range first: page backwards from the end
        for (var end = to - 1; end >= from;)
        {
            var page = await Call(() => _http.GetKlines(symbol, name, from, end, KlinesPerPage, cancel)).ConfigureAwait(false);
            foreach (var kline in page)
            {
                if (kline.Start >= from && kline.Start < to && kline.Start + interval.Milliseconds - 1 < closedBy)
                {
                    bars[kline.Start] = Bar(symbol, kline);
                }
            }

            if (page.Count < KlinesPerPage)
            {
                break;
            }

            end = page.Min(k => k.Start) - 1;
        }

        return [.. bars.Values];
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Balance>> Balances(CancellationToken cancel = default)
    {
        var coins = await Call(() => _http.GetWalletBalance(cancel)).ConfigureAwait(false);
        return [.. coins.Select(c => new Balance(c.Coin, c.WalletBalance, c.Available))];
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<VenuePosition>> Positions(CancellationToken cancel = default)
    {
        var positions = new List<VenuePosition>();
        string? cursor = null;
        do
        {
            var page = await Call(() => _http.GetPositions(cursor, cancel)).ConfigureAwait(false);
            positions.AddRange(page.List.Where(p => p.Size != 0m).Select(p => new VenuePosition(p.Symbol, p.Signed, p.AvgPrice)));
            cursor = page.Cursor;
        }
        while (cursor is not null);

        return positions;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<OrderState>> OpenOrders(string? symbol = null, CancellationToken cancel = default)
    {
        var orders = new List<OrderState>();
        string? cursor = null;
        do
        {
            var page = await Call(() => _http.GetOpenOrders(symbol, cursor, cancel)).ConfigureAwait(false);
            orders.AddRange(page.List.Select(o => States(() => BybitStates.Order(o))));
            cursor = page.Cursor;
        }
        while (cursor is not null);

        return orders;
    }

    /// <inheritdoc/>
    public async ValueTask<OrderState?> Order(string symbol, string clientOrderId, CancellationToken cancel = default)
    {
        var order = await Call(() => _http.FindOrder(symbol, clientOrderId, cancel)).ConfigureAwait(false);
        return order is null ? null : States(() => BybitStates.Order(order));
    }

    /// <inheritdoc/>
    public async ValueTask<OrderState> Place(OrderRequest order, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        var request = Request(order);
        string venueId;
        try
        {
            (venueId, _) = await _http.CreateOrder(request, cancel).ConfigureAwait(false);
        }
        catch (BybitApiException e) when (e.Code is { } code && BybitErrors.RejectsTheOrder(code))
        {
            return new OrderState(
                order.ClientOrderId, null, order.Symbol, order.Side, order.Type, order.Quantity, 0m, order.Price, 0m, OrderStatus.Rejected, Now, e.Message);
        }
        catch (BybitApiException e) when (e.Code == BybitErrors.TimestampOutsideWindow)
        {
            throw new ExchangeError($"{e.Message}; the order was not placed and Bybit's clock has been read again: send it again", ErrorKind.VenueFailure);
        }
        catch (BybitApiException e) when (e.NeverSent)
        {
            throw new ExchangeError($"{e.Message}; the order was not placed", ErrorKind.VenueFailure);
        }
        catch (BybitApiException e) when (e.OutcomeUnknown)
        {
            return await Reconcile(order, e, cancel).ConfigureAwait(false);
        }
        catch (BybitApiException e)
        {
            throw new ExchangeError(e.Message, e.Kind);
        }

        // Bybit answers a placement with its ids only: the order's state is read back
        var placed = await Order(order.Symbol, order.ClientOrderId, cancel).ConfigureAwait(false);
        return placed ?? new OrderState(order.ClientOrderId, venueId, order.Symbol, order.Side, order.Type, order.Quantity, 0m, order.Price, 0m, OrderStatus.New, Now);
    }

    /// <inheritdoc/>
    public async ValueTask<OrderState> Cancel(string symbol, string clientOrderId, CancellationToken cancel = default)
    {
        try
        {
            await _http.CancelOrder(symbol, clientOrderId, cancel).ConfigureAwait(false);
        }
        catch (BybitApiException e) when (e.Code == BybitErrors.OrderNotFound)
        {
            // already done (filled, expired, cancelled by an earlier try whose answer was lost): say how it ended
            if (await Order(symbol, clientOrderId, cancel).ConfigureAwait(false) is { IsDone: true } done)
            {
                return done;
            }

            throw new ExchangeError(e.Message, ErrorKind.Rejected);
        }
        catch (BybitApiException e)
        {
            throw new ExchangeError(e.Message, e.Kind);
        }

        return await Order(symbol, clientOrderId, cancel).ConfigureAwait(false)
            ?? throw new ExchangeError($"Bybit cancelled order {clientOrderId} but no longer lists it", ErrorKind.Unknown);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<ExecutionReport>> Executions(string symbol, long since, CancellationToken cancel = default)
    {
        await Call(() => EnsureClock(cancel)).ConfigureAwait(false);
        var now = Now.ToUnixTimeMilliseconds() + ClockMarginMs;
        var fills = new Dictionary<string, BybitExecution>(StringComparer.Ordinal);
        for (var start = since; start <= now; start += HistoryWindowMs + 1)
        {
            var end = Math.Min(start + HistoryWindowMs, now);
            string? cursor = null;
            do
            {
                var page = await Call(() => _http.GetExecutions(symbol, start, end, cursor, cancel)).ConfigureAwait(false);
                foreach (var fill in page.List.Where(f => f.ExecType is "Trade" or "AdlTrade" or "BustTrade"))
                {
                    fills[fill.ExecId] = fill;
                }

                cursor = page.Cursor;
            }
            while (cursor is not null);
        }

        return [.. fills.Values
            .OrderBy(f => f.ExecTime).ThenBy(f => f.ExecId, StringComparer.Ordinal)
            .Select(f => new ExecutionReport(f.ExecId, f.OrderLinkId, f.Symbol, f.Side, f.ExecQty, f.ExecPrice, f.ExecFee, _options.SettleCoin, f.IsMaker, f.ExecTime))];
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<FundingPayment>> Funding(long since, CancellationToken cancel = default)
    {
        await Call(() => EnsureClock(cancel)).ConfigureAwait(false);
        var now = Now.ToUnixTimeMilliseconds() + ClockMarginMs;
        var settlements = new Dictionary<string, BybitTransaction>(StringComparer.Ordinal);
        for (var start = since; start <= now; start += HistoryWindowMs + 1)
        {
            var end = Math.Min(start + HistoryWindowMs, now);
            string? cursor = null;
            do
            {
                var page = await Call(() => _http.GetFundingSettlements(start, end, cursor, cancel)).ConfigureAwait(false);
                foreach (var entry in page.List.Where(t => t.Type == "SETTLEMENT"))
                {
                    settlements[entry.Id] = entry;
                }

                cursor = page.Cursor;
            }
            while (cursor is not null);
        }

        // the wallet's change is positive when funding was received; a payment is positive when paid
        return [.. settlements.Values.OrderBy(t => t.Time).Select(t => new FundingPayment(t.Symbol, -t.Change, t.Currency, t.Time))];
    }

    /// <summary>Sets every USDT contract to one-way position mode (one position per symbol), as the runtime trades.</summary>
    public async ValueTask UseOneWayMode(CancellationToken cancel = default) =>
        await Call(async () =>
        {
            await _http.UseOneWayMode(cancel).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    /// <summary>Sets a symbol's leverage for both sides; setting the leverage it already has succeeds.</summary>
    public async ValueTask SetLeverage(string symbol, decimal leverage, CancellationToken cancel = default) =>
        await Call(async () =>
        {
            await _http.SetLeverage(symbol, leverage, cancel).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    /// <inheritdoc/>
    public IAsyncEnumerable<VenueBar> StreamBars(string symbol, Interval interval, long since, CancellationToken cancel = default)
    {
        var name = BybitIntervals.Name(interval);
        var topic = $"kline.{name}.{symbol}";
        var stream = new ReconnectingBarStream(
            $"{symbol} {interval} klines",
            interval.Milliseconds,
            ct => BybitSocket.OpenAsync(_options.Environment.PublicStream, [("subscribe", [topic])], _options, ct),
            text => BybitWsParse.ClosedKline(text, topic) is { } k ? Bar(symbol, k) : null,
            async (from, ct) => await Bars(symbol, interval, from, Now.ToUnixTimeMilliseconds() + interval.Milliseconds, ct).ConfigureAwait(false),
            new Backoff(_options.StreamReconnectBaseDelay, _options.StreamReconnectMaxDelay, _options.Jitter),
            _options.TimeProvider,
            _log,
            _options.Observer);
        return stream.Run(since, cancel);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<AccountEvent> StreamAccount(CancellationToken cancel = default) => new BybitPrivateStream(_http, _options).Run(cancel);

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    private BybitOrderRequest Request(OrderRequest order)
    {
        if (order.Quantity <= 0m)
        {
            throw new ExchangeError($"order {order.ClientOrderId}: the quantity must be positive, found {order.Quantity}", ErrorKind.Rejected);
        }

        var tif = order.TimeInForce switch
        {
            TimeInForce.PostOnly => "PostOnly",
            TimeInForce.ImmediateOrCancel => "IOC",
            _ => "GTC",
        };
        return order.Type switch
        {
            OrderType.Limit when order.Price is > 0m => new BybitOrderRequest(order.Symbol, order.Side, "Limit", order.Quantity, order.ClientOrderId, order.Price, tif, order.ReduceOnly),
            OrderType.Market => new BybitOrderRequest(order.Symbol, order.Side, "Market", order.Quantity, order.ClientOrderId, ReduceOnly: order.ReduceOnly),

            // a conditional order here only ever exits, so it is reduce-only whatever was asked
            OrderType.StopMarket or OrderType.TakeProfitMarket when order.StopPrice is > 0m => new BybitOrderRequest(
                order.Symbol,
                order.Side,
                "Market",
                order.Quantity,
                order.ClientOrderId,
                ReduceOnly: true,
                TriggerPrice: order.StopPrice,
                TriggerDirection: BybitStates.TriggerDirection(order.Type, order.Side),
                TriggerBy: _options.StopTrigger),
            OrderType.Limit => throw new ExchangeError($"order {order.ClientOrderId}: a Limit order needs a positive price", ErrorKind.Rejected),
            _ => throw new ExchangeError($"order {order.ClientOrderId}: a {order.Type} order needs a positive stop price", ErrorKind.Rejected),
        };
    }

    // the order was sent but no definite answer came: the venue's books say whether it exists
    private async ValueTask<OrderState> Reconcile(OrderRequest order, BybitApiException failure, CancellationToken cancel)
    {
        _log.LogWarning("{Failure}; looking order {ClientOrderId} up before deciding anything", failure.Message, order.ClientOrderId);
        BybitOrder? found;
        try
        {
            found = await _http.FindOrder(order.Symbol, order.ClientOrderId, cancel).ConfigureAwait(false);
        }
        catch (BybitApiException lookup)
        {
            throw new ExchangeError(
                $"{failure.Message}; looking order {order.ClientOrderId} up failed too ({lookup.Message}): whether it was placed is unknown, reconcile before sending it again",
                ErrorKind.Unknown);
        }

        if (found is not null)
        {
            _log.LogInformation("Order {ClientOrderId} was placed despite the failure: {Status}", order.ClientOrderId, found.OrderStatus);
            return States(() => BybitStates.Order(found));
        }

        throw new ExchangeError($"{failure.Message}; Bybit has no order {order.ClientOrderId}, so it was not placed: send it again", ErrorKind.VenueFailure);
    }

    private async Task<bool> EnsureClock(CancellationToken cancel)
    {
        if (!_http.Clock.IsObserved)
        {
            await _http.SyncClock(cancel).ConfigureAwait(false);
        }

        return true;
    }

    private OrderState States(Func<OrderState> read)
    {
        try
        {
            return read();
        }
        catch (BybitMalformedBody e)
        {
            throw new ExchangeError(_http.Scrub($"Bybit sent an order this client cannot read: {e.Message}"), ErrorKind.VenueFailure);
        }
    }

    private static async ValueTask<T> Call<T>(Func<Task<T>> request)
    {
        try
        {
            return await request().ConfigureAwait(false);
        }
        catch (BybitApiException e)
        {
            throw new ExchangeError(e.Message, e.Kind);
        }
    }

    private static VenueBar Bar(string symbol, BybitKline kline)
    {
        static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);
        return new VenueBar(symbol, kline.Start, Number(kline.Open), Number(kline.High), Number(kline.Low), Number(kline.Close), Number(kline.Volume));
    }
}
