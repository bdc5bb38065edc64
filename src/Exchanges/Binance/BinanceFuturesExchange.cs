using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Binance.Http;
using StrategyLab.Exchanges.Binance.WebSocket;
using StrategyLab.Exchanges.Streaming;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Binance;
/// <summary>
/// Binance USDⓈ-M futures as an <see cref="IExchange"/> and <see cref="IMarketFeed"/>: instruments with their filters,
/// closed bars, the account, LIMIT (GTC, post-only GTX, IOC), MARKET and reduce-only STOP_MARKET orders by client order
/// id, fills and funding, kline streams and the user data stream. An order is sent once: when no definite answer
/// comes (timeout, dropped connection, 5xx) it is looked up by its client order id, and the call answers with what the
/// venue holds, or fails saying whether the order is known not to exist (<see cref="ErrorKind.VenueFailure"/>:
/// send it again; the same client order id cannot be placed twice while open) or could not be determined
/// (<see cref="ErrorKind.Unknown"/>). Keys come from <see cref="BinanceCredentials"/> and appear in no log line
/// or error message.
/// </summary>
/// <example>
/// <code>
/// using var binance = new BinanceFuturesExchange(
///     new BinanceFuturesOptions { Environment = BinanceEnvironment.For(testnet: true) },
///     BinanceCredentials.FromEnvironment(testnet: true));
/// await binance.UseOneWayMode();
/// var order = await binance.Place(new OrderRequest("run1-0001", "BTCUSDT", OrderSide.Buy, OrderType.Limit, 0.001m, 60000m, TimeInForce: TimeInForce.PostOnly));
/// </code>
/// </example>
public sealed class BinanceFuturesExchange : IExchange, IMarketFeed, IOneWayAccount, IRateLimited, IDisposable
{
    private const int KlinesPerPage = 1000;
    private const int TradesPerPage = 1000;
    private const int IncomePerPage = 1000;
    private static readonly long TradeWindowMs = (long)TimeSpan.FromDays(7).TotalMilliseconds - 1;

    // how far past its reading of the venue's clock a query of the account's history reaches: the venue may stamp a fill
    // a little later than the client thinks it is there (drift between syncs, half a round trip), and it lists nothing
    // from the future anyway
    private static readonly long ClockMarginMs = (long)TimeSpan.FromMinutes(1).TotalMilliseconds;

    private readonly BinanceFuturesOptions _options;
    private readonly BinanceFuturesHttpClient _http;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<(string Symbol, long OrderId), string> _clientIds = new();

    /// <summary>Creates a client; without <paramref name="credentials"/> only public data (instruments, bars, kline streams) can be read.</summary>
    /// <exception cref="ExchangeException">The options are invalid.</exception>
    public BinanceFuturesExchange(BinanceFuturesOptions? options = null, BinanceCredentials? credentials = null)
    {
        _options = options ?? new BinanceFuturesOptions();
        _options.Validate();
        _log = _options.Logger;
        _http = new BinanceFuturesHttpClient(_options, credentials);
    }

    /// <summary>
    /// A client for production or, with <paramref name="testnet"/> (the <c>--testnet</c> switch), the testnet, with the
    /// matching keys from the environment or the <c>.env</c> file at <paramref name="envFile"/>.
    /// </summary>
    /// <exception cref="ExchangeException">The keys are missing or the options invalid (kind <see cref="Exchanges.ExchangeErrorKind.InvalidRequest"/>).</exception>
    public static BinanceFuturesExchange FromEnvironment(
        bool testnet, BinanceFuturesOptions? options = null, string? envFile = ".env", System.Collections.IDictionary? environment = null)
    {
        var credentials = BinanceCredentials.FromEnvironment(testnet, envFile, environment);
        return new BinanceFuturesExchange((options ?? new BinanceFuturesOptions()) with { Environment = BinanceEnvironment.For(testnet) }, credentials);
    }

    /// <summary>Where this client connects.</summary>
    public BinanceEnvironment Environment => _options.Environment;

    /// <inheritdoc/>
    public string Venue => _options.Environment.IsTestnet ? "binance-usdm-testnet" : "binance-usdm";

    /// <inheritdoc/>
    public DateTimeOffset Now => _http.Clock.GetUtcNow();

    /// <summary>The venue's clock as read so far.</summary>
    public VenueClock VenueClock => _http.Clock;

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Instrument>> Instruments(CancellationToken cancel = default)
    {
        var info = await Call(() => _http.GetExchangeInfo(cancel)).ConfigureAwait(false);
        return [.. info.Symbols
            .Where(s => s.Status == "TRADING")
            .Select(s => new Instrument(s.Symbol, s.BaseAsset, s.QuoteAsset, s.TickSize, s.StepSize, s.MinQuantity, s.MinNotional, MaxLeverage: 0))];
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<VenueBar>> Bars(string symbol, Interval interval, long from, long to, CancellationToken cancel = default)
    {
        var name = IntervalName(interval);
        await Call(() => EnsureClock(cancel)).ConfigureAwait(false);
        var closedBy = _http.Clock.Earliest(_options.TimeProvider.GetUtcNow()).ToUnixTimeMilliseconds();
        var bars = new List<VenueBar>();
        var cursor = from;
        while (cursor < to)
        {
            var page = await Call(() => _http.GetKlines(symbol, name, cursor, to - 1, KlinesPerPage, cancel)).ConfigureAwait(false);
            foreach (var kline in page)
            {
                if (kline.OpenTime >= cursor && kline.OpenTime < to && kline.CloseTime < closedBy)
                {
                    bars.Add(Bar(symbol, kline));
                }
            }

            if (page.Count < KlinesPerPage || page[^1].CloseTime >= closedBy)
            {
                break;
            }

            cursor = page[^1].OpenTime + 1;
        }

        return bars;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Balance>> Balances(CancellationToken cancel = default)
    {
        var balances = await Call(() => _http.GetBalance(cancel)).ConfigureAwait(false);
        return [.. balances.Select(b => new Balance(b.Asset, b.WalletBalance, b.AvailableBalance))];
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<VenuePosition>> Positions(CancellationToken cancel = default)
    {
        var positions = await Call(() => _http.GetPositionRisk(null, cancel)).ConfigureAwait(false);
        return [.. positions.Where(p => p.Amount != 0m).Select(p => new VenuePosition(p.Symbol, p.Amount, p.EntryPrice))];
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<OrderState>> OpenOrders(string? symbol = null, CancellationToken cancel = default)
    {
        var (orders, skipped) = await Call(() => _http.GetOpenOrders(symbol, cancel)).ConfigureAwait(false);
        foreach (var order in skipped)
        {
            _log.LogWarning("Binance open order left out: {Order}", order);
        }

        return [.. orders.Select(State)];
    }

    /// <inheritdoc/>
    public async ValueTask<OrderState?> Order(string symbol, string clientOrderId, CancellationToken cancel = default)
    {
        var order = await Call(() => _http.QueryOrder(symbol, clientOrderId, cancel)).ConfigureAwait(false);
        return order is null ? null : State(order);
    }

    /// <inheritdoc/>
    public async ValueTask<OrderState> Place(OrderRequest order, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        var request = Request(order);
        try
        {
            return State(await _http.NewOrder(request, cancel).ConfigureAwait(false));
        }
        catch (BinanceApiException e) when (e.Code is { } code && BinanceErrors.RejectsTheOrder(code))
        {
            return new OrderState(
                order.ClientOrderId, null, order.Symbol, order.Side, order.Type, order.Quantity, 0m, order.Price, 0m, OrderStatus.Rejected, Now, e.Message);
        }
        catch (BinanceApiException e) when (e.Code == BinanceErrors.InvalidTimestamp)
        {
            throw new ExchangeError($"{e.Message}; the order was not placed and Binance's clock has been read again: send it again", ErrorKind.VenueFailure);
        }
        catch (BinanceApiException e) when (e.NeverSent)
        {
            throw new ExchangeError($"{e.Message}; the order was not placed", ErrorKind.VenueFailure);
        }
        catch (BinanceApiException e) when (e.OutcomeUnknown)
        {
            return await Reconcile(order, e, cancel).ConfigureAwait(false);
        }
        catch (BinanceApiException e)
        {
            throw new ExchangeError(e.Message, e.Kind);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<OrderState> Cancel(string symbol, string clientOrderId, CancellationToken cancel = default)
    {
        try
        {
            return State(await _http.CancelOrder(symbol, clientOrderId, cancel).ConfigureAwait(false));
        }
        catch (BinanceApiException e) when (e.Code is BinanceErrors.CancelRejected or BinanceErrors.NoSuchOrder)
        {
            // already done (filled, expired, cancelled by an earlier try whose answer was lost): say how it ended
            var order = await Call(() => _http.QueryOrder(symbol, clientOrderId, cancel)).ConfigureAwait(false);
            if (order is not null && State(order) is { IsDone: true } done)
            {
                return done;
            }

            throw new ExchangeError(e.Message, ErrorKind.Rejected);
        }
        catch (BinanceApiException e)
        {
            throw new ExchangeError(e.Message, e.Kind);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<ExecutionReport>> Executions(string symbol, long since, CancellationToken cancel = default)
    {
        await Call(() => EnsureClock(cancel)).ConfigureAwait(false);
        var now = Now.ToUnixTimeMilliseconds() + ClockMarginMs;
        var trades = new Dictionary<long, BinanceUserTrade>();
        for (var start = since; start <= now;)
        {
            var end = Math.Min(start + TradeWindowMs, now);
            var page = await Call(() => _http.GetUserTrades(symbol, start, end, TradesPerPage, cancel)).ConfigureAwait(false);
            foreach (var trade in page)
            {
                trades[trade.Id] = trade;
            }

            // a full page may have left trades of its last millisecond: ask again from there (ids deduplicate)
            start = page.Count >= TradesPerPage ? page.Max(t => t.Time.ToUnixTimeMilliseconds()) : end + 1;
        }

        var reports = new List<ExecutionReport>(trades.Count);
        foreach (var trade in trades.Values.OrderBy(t => t.Time).ThenBy(t => t.Id))
        {
            var clientId = await ClientOrderId(trade.Symbol, trade.OrderId, cancel).ConfigureAwait(false);
            reports.Add(new ExecutionReport(
                trade.Id.ToString(CultureInfo.InvariantCulture),
                clientId,
                trade.Symbol,
                trade.Side,
                trade.Quantity,
                trade.Price,
                trade.Commission,
                trade.CommissionAsset,
                trade.Maker,
                trade.Time));
        }

        return reports;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<FundingPayment>> Funding(long since, CancellationToken cancel = default)
    {
        await Call(() => EnsureClock(cancel)).ConfigureAwait(false);
        var now = Now.ToUnixTimeMilliseconds() + ClockMarginMs;
        var records = new Dictionary<(long, string), BinanceIncome>();
        for (var start = since; start <= now;)
        {
            var page = await Call(() => _http.GetIncome("FUNDING_FEE", start, now, IncomePerPage, cancel)).ConfigureAwait(false);
            foreach (var income in page)
            {
                records[(income.TransactionId, income.Symbol)] = income;
            }

            if (page.Count < IncomePerPage)
            {
                break;
            }

            start = page.Max(i => i.Time.ToUnixTimeMilliseconds());
        }

        // income flows in when positive; a funding payment is positive when paid
        return [.. records.Values.OrderBy(i => i.Time).Select(i => new FundingPayment(i.Symbol, -i.Income, i.Asset, i.Time))];
    }

    /// <summary>Sets the account to one-way position mode (one position per symbol), as the runtime trades.</summary>
    public async ValueTask UseOneWayMode(CancellationToken cancel = default) =>
        await Call(async () =>
        {
            await _http.ChangePositionMode(dualSidePosition: false, cancel).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    /// <summary>Sets a symbol's margin type; setting the type it already has succeeds.</summary>
    public async ValueTask SetMarginType(string symbol, BinanceMarginType marginType, CancellationToken cancel = default) =>
        await Call(async () =>
        {
            await _http.ChangeMarginType(symbol, marginType, cancel).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    /// <summary>Sets a symbol's initial leverage; returns the leverage the venue set.</summary>
    public async ValueTask<int> SetLeverage(string symbol, int leverage, CancellationToken cancel = default) =>
        (await Call(() => _http.ChangeLeverage(symbol, leverage, cancel)).ConfigureAwait(false)).Leverage;

    /// <inheritdoc/>
    public IAsyncEnumerable<VenueBar> StreamBars(string symbol, Interval interval, long since, CancellationToken cancel = default)
    {
        var name = IntervalName(interval);
        var stream = new ReconnectingBarStream(
            $"{symbol} {name} klines",
            interval.Milliseconds,
            ct => WebSocketTextConnection.ConnectAsync(
                BinanceUrls.Stream(_options.Environment.StreamBase, $"{symbol.ToLowerInvariant()}@kline_{name}"), _options.StreamIdleTimeout, _options.TimeProvider, ct),
            text => BinanceWsParse.Kline(text) is { Closed: true } k && k.Symbol == symbol
                ? new VenueBar(symbol, k.OpenTime, (double)k.Open, (double)k.High, (double)k.Low, (double)k.Close, (double)k.Volume)
                : null,
            async (from, ct) => await Bars(symbol, interval, from, Now.ToUnixTimeMilliseconds() + interval.Milliseconds, ct).ConfigureAwait(false),
            new Backoff(_options.StreamReconnectBaseDelay, _options.StreamReconnectMaxDelay, _options.Jitter),
            _options.TimeProvider,
            _log,
            _options.Observer);
        return stream.Run(since, cancel);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<AccountEvent> StreamAccount(CancellationToken cancel = default)
    {
        var stream = new BinanceUserDataStream(
            _http,
            (address, ct) => WebSocketTextConnection.ConnectAsync(address, _options.StreamIdleTimeout, _options.TimeProvider, ct),
            _options);
        return stream.Run(cancel);
    }

    /// <inheritdoc/>
    public IReadOnlyList<RateLimitUse> RateLimits() => _http.RateLimits();

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    private NewOrderRequest Request(OrderRequest order)
    {
        if (order.Quantity <= 0m)
        {
            throw new ExchangeError($"order {order.ClientOrderId}: the quantity must be positive, found {order.Quantity}", ErrorKind.Rejected);
        }

        return order.Type switch
        {
            OrderType.Limit when order.Price is > 0m => new NewOrderRequest(
                order.Symbol, order.Side, order.Type, order.Quantity, order.ClientOrderId, order.Price, TimeInForce: order.TimeInForce, ReduceOnly: order.ReduceOnly),
            OrderType.Market => new NewOrderRequest(order.Symbol, order.Side, order.Type, order.Quantity, order.ClientOrderId, ReduceOnly: order.ReduceOnly),

            // a stop here only ever exits, so it is reduce-only whatever was asked
            OrderType.StopMarket when order.StopPrice is > 0m => new NewOrderRequest(
                order.Symbol, order.Side, order.Type, order.Quantity, order.ClientOrderId, StopPrice: order.StopPrice, ReduceOnly: true, WorkingType: _options.StopTrigger),
            OrderType.Limit => throw new ExchangeError($"order {order.ClientOrderId}: a LIMIT order needs a positive price", ErrorKind.Rejected),
            OrderType.StopMarket => throw new ExchangeError($"order {order.ClientOrderId}: a STOP_MARKET order needs a positive stop price", ErrorKind.Rejected),
            _ => throw new ExchangeError($"order {order.ClientOrderId}: order type {order.Type} is not traded on Binance here", ErrorKind.Rejected),
        };
    }

    // the order was sent but no definite answer came: the venue's books say whether it exists
    private async ValueTask<OrderState> Reconcile(OrderRequest order, BinanceApiException failure, CancellationToken cancel)
    {
        _log.LogWarning("{Failure}; looking order {ClientOrderId} up before deciding anything", failure.Message, order.ClientOrderId);
        BinanceOrder? found;
        try
        {
            found = await _http.QueryOrder(order.Symbol, order.ClientOrderId, cancel).ConfigureAwait(false);
        }
        catch (BinanceApiException lookup)
        {
            throw new ExchangeError(
                $"{failure.Message}; looking order {order.ClientOrderId} up failed too ({lookup.Message}): whether it was placed is unknown, reconcile before sending it again",
                ErrorKind.Unknown);
        }

        if (found is not null)
        {
            _log.LogInformation("Order {ClientOrderId} was placed despite the failure: {Status}", order.ClientOrderId, found.Status);
            return State(found);
        }

        throw new ExchangeError($"{failure.Message}; Binance has no order {order.ClientOrderId}, so it was not placed: send it again", ErrorKind.VenueFailure);
    }

    private async ValueTask<string> ClientOrderId(string symbol, long orderId, CancellationToken cancel)
    {
        if (_clientIds.TryGetValue((symbol, orderId), out var known))
        {
            return known;
        }

        var order = await Call(() => _http.QueryOrder(symbol, orderId, cancel)).ConfigureAwait(false);
        return order is null ? $"binance-{orderId}" : State(order).ClientOrderId;
    }

    private OrderState State(BinanceOrder order)
    {
        _clientIds[(order.Symbol, order.OrderId)] = order.ClientOrderId;
        return new OrderState(
            order.ClientOrderId,
            order.OrderId.ToString(CultureInfo.InvariantCulture),
            order.Symbol,
            order.Side,
            order.Type,
            order.Quantity,
            order.ExecutedQuantity,
            order.Price == 0m ? null : order.Price,
            order.AveragePrice,
            order.Status,
            order.UpdateTime);
    }

    private async Task<bool> EnsureClock(CancellationToken cancel)
    {
        if (!_http.Clock.IsObserved)
        {
            await _http.SyncClock(cancel).ConfigureAwait(false);
        }

        return true;
    }

    private static async ValueTask<T> Call<T>(Func<Task<T>> request)
    {
        try
        {
            return await request().ConfigureAwait(false);
        }
        catch (BinanceApiException e)
        {
            throw new ExchangeError(e.Message, e.Kind);
        }
    }

    private static string IntervalName(Interval interval)
    {
        var name = interval.ToString();
        return BinanceIntervals.KlineIntervals.Contains(name, StringComparer.Ordinal)
            ? name
            : throw new ExchangeError($"Binance has no {name} klines; it serves {string.Join(", ", BinanceIntervals.KlineIntervals.Where(i => i != "1M"))}", ErrorKind.Rejected);
    }

    private static VenueBar Bar(string symbol, BinanceKline kline)
    {
        static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);
        return new VenueBar(symbol, kline.OpenTime, Number(kline.Fields[1]), Number(kline.Fields[2]), Number(kline.Fields[3]), Number(kline.Fields[4]), Number(kline.Fields[5]));
    }
}
