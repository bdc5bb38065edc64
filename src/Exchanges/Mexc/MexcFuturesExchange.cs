using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using StrategyLab.Exchanges.Mexc.Common;
using StrategyLab.Exchanges.Mexc.Http;
using StrategyLab.Exchanges.Mexc.WebSocket;
using StrategyLab.Exchanges.Streaming;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Mexc;

/// <summary>
/// MEXC USDT-M perpetuals as an <see cref="IExchange"/> and <see cref="IMarketFeed"/>, one-way positions in cross
/// margin. Quantities are base-asset amounts on the seam and contracts (<c>vol</c>) at the venue, converted exactly
/// by the contract size (<see cref="MexcContract"/>). LIMIT (GTC, post-only, IOC) and MARKET orders carry the client
/// order id as <c>externalOid</c> and are sent once: when no definite answer comes they are looked up by it, never
/// sent again. Reduce-only stops are MEXC trigger orders that close the position. Keys come from
/// <see cref="MexcCredentials"/> and appear in no log line or error message.
/// </summary>
/// <example>
/// <code>
/// using var mexc = MexcFuturesExchange.FromEnvironment();
/// await mexc.UseOneWayMode();
/// var order = await mexc.Place(new OrderRequest("run1-0001", "BTC_USDT", OrderSide.Buy, OrderType.Limit, 0.001m, 60000m, TimeInForce: TimeInForce.PostOnly));
/// </code>
/// </example>
public sealed class MexcFuturesExchange : IExchange, IMarketFeed, IOneWayAccount, IDisposable
{
    private const int KlinesPerPage = 2000;
    private const int PageSize = 100;
    private static readonly long ClockMarginMs = (long)TimeSpan.FromMinutes(1).TotalMilliseconds;

    private readonly MexcFuturesOptions _options;
    private readonly MexcHttpClient _http;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, MexcContract> _contracts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _clientIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Symbol, string PlanId, OrderRequest Request)> _stops = new(StringComparer.Ordinal);

    /// <summary>Creates a client; without <paramref name="credentials"/> only public data (instruments, bars, kline streams) can be read.</summary>
    /// <exception cref="ExchangeException">The options are invalid.</exception>
    public MexcFuturesExchange(MexcFuturesOptions? options = null, MexcCredentials? credentials = null)
    {
        _options = options ?? new MexcFuturesOptions();
        _options.Validate();
        _log = _options.Logger;
        _http = new MexcHttpClient(_options, credentials);
    }

    /// <summary>A client for production with the keys <c>MEXC_API_KEY</c> and <c>MEXC_API_SECRET</c> from the environment or the <c>.env</c> file at <paramref name="envFile"/>.</summary>
    /// <exception cref="ExchangeException">The keys are missing or the options invalid (kind <see cref="Exchanges.ExchangeErrorKind.InvalidRequest"/>).</exception>
    public static MexcFuturesExchange FromEnvironment(MexcFuturesOptions? options = null, string? envFile = ".env", System.Collections.IDictionary? environment = null) =>
        new(options, MexcCredentials.FromEnvironment(envFile, environment));

    /// <inheritdoc/>
    public string Venue => "mexc-contract";

    /// <inheritdoc/>
    public DateTimeOffset Now => _http.Clock.GetUtcNow();

    /// <summary>The venue's clock as read so far.</summary>
    public VenueClock VenueClock => _http.Clock;

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Instrument>> Instruments(CancellationToken cancel = default)
    {
        var contracts = await LoadContracts(cancel).ConfigureAwait(false);
        return [.. contracts
            .Where(c => c.State == 0)
            .Select(c => new Instrument(c.Symbol, c.BaseCoin, c.SettleCoin, c.PriceUnit, c.ContractSize * c.VolUnit, c.ContractSize * c.MinVol, MinNotional: 0m, c.MaxLeverage))];
    }

    /// <summary>Whether MEXC allows orders over its API for <paramref name="symbol"/> (the contract's <c>apiAllowed</c>).</summary>
    public async ValueTask<bool> ApiTradingAllowed(string symbol, CancellationToken cancel = default) =>
        (await Contract(symbol, cancel).ConfigureAwait(false)).ApiAllowed;

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<VenueBar>> Bars(string symbol, Interval interval, long from, long to, CancellationToken cancel = default)
    {
        var name = IntervalName(interval);
        var contract = await Contract(symbol, cancel).ConfigureAwait(false);
        await Call(() => EnsureClock(cancel)).ConfigureAwait(false);
        var closedBy = _http.Clock.Earliest(_options.TimeProvider.GetUtcNow()).ToUnixTimeMilliseconds();
        var step = interval.Milliseconds;
        var bars = new List<VenueBar>();
        for (var cursor = from; cursor < to;)
        {
            var end = Math.Min(to - 1, cursor + ((KlinesPerPage - 1) * step));
            var page = await Call(() => _http.GetKline(symbol, name, Seconds(cursor, up: true), end / 1000, cancel)).ConfigureAwait(false);
            foreach (var k in page)
            {
                var open = k.Time * 1000;
                if (open >= cursor && open < to && open + step <= closedBy && (bars.Count == 0 || open > bars[^1].OpenTime))
                {
                    bars.Add(new VenueBar(symbol, open, (double)k.Open, (double)k.High, (double)k.Low, (double)k.Close, (double)contract.Quantity(k.Vol)));
                }
            }

            cursor = end + 1;
            if (cursor >= closedBy)
            {
                break;
            }
        }

        return bars;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Balance>> Balances(CancellationToken cancel = default)
    {
        var assets = await Call(() => _http.GetAssets(cancel)).ConfigureAwait(false);

        // the wallet balance: equity without the unrealised profit of open positions
        return [.. assets.Select(a => new Balance(a.Currency, a.Equity - a.Unrealized, a.AvailableBalance))];
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<VenuePosition>> Positions(CancellationToken cancel = default)
    {
        var positions = await Call(() => _http.GetOpenPositions(cancel)).ConfigureAwait(false);
        var result = new List<VenuePosition>();
        foreach (var p in positions.Where(p => p.HoldVol != 0m))
        {
            var quantity = (await Contract(p.Symbol, cancel).ConfigureAwait(false)).Quantity(p.HoldVol);
            result.Add(new VenuePosition(p.Symbol, p.PositionType == 2 ? -quantity : quantity, p.HoldAvgPrice, DateTimeOffset.FromUnixTimeMilliseconds(p.CreateTime)));
        }

        return result;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<OrderState>> OpenOrders(string? symbol = null, CancellationToken cancel = default)
    {
        var states = new List<OrderState>();
        for (var page = 1; ; page++)
        {
            var orders = await Call(() => _http.GetOpenOrders(symbol, page, cancel)).ConfigureAwait(false);
            foreach (var order in orders)
            {
                states.Add(await State(order, cancel).ConfigureAwait(false));
            }

            if (orders.Count < PageSize)
            {
                break;
            }
        }

        foreach (var (clientId, stop) in _stops.Where(s => symbol is null || s.Value.Symbol == symbol))
        {
            if (await StopState(clientId, stop, cancel).ConfigureAwait(false) is { IsDone: false } open)
            {
                states.Add(open);
            }
        }

        return states;
    }

    /// <inheritdoc/>
    public async ValueTask<OrderState?> Order(string symbol, string clientOrderId, CancellationToken cancel = default)
    {
        if (_stops.TryGetValue(clientOrderId, out var stop))
        {
            return await StopState(clientOrderId, stop, cancel).ConfigureAwait(false);
        }

        var order = await Call(() => _http.GetOrderByExternalOid(symbol, clientOrderId, cancel)).ConfigureAwait(false);
        return order is null ? null : await State(order, cancel).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<OrderState> Place(OrderRequest order, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        var contract = await Contract(order.Symbol, cancel).ConfigureAwait(false);
        if (order.Quantity <= 0m)
        {
            throw new ExchangeError($"order {order.ClientOrderId}: the quantity must be positive, found {order.Quantity}", ErrorKind.Rejected);
        }

        if (contract.QuantityProblem(order.Quantity) is { } problem)
        {
            // MEXC trades whole contracts only: the order cannot be expressed, so it is refused here, unsent
            return Refused(order, problem);
        }

        var vol = contract.Vol(order.Quantity)!.Value;
        return order.Type == OrderType.StopMarket
            ? await PlaceStop(order, vol, cancel).ConfigureAwait(false)
            : await PlaceOrder(order, vol, cancel).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<OrderState> Cancel(string symbol, string clientOrderId, CancellationToken cancel = default)
    {
        if (_stops.TryGetValue(clientOrderId, out var stop))
        {
            try
            {
                await _http.CancelPlanOrder(symbol, stop.PlanId, cancel).ConfigureAwait(false);
            }
            catch (MexcApiException e) when (e.Code is not null)
            {
                // refused: already triggered or cancelled; its state below says how it ended
                _log.LogInformation("MEXC did not cancel stop {ClientOrderId}: {Reason}", clientOrderId, e.Message);
            }
            catch (MexcApiException e)
            {
                throw new ExchangeError(e.Message, e.Kind);
            }

            return await StopState(clientOrderId, stop, cancel).ConfigureAwait(false)
                ?? throw new ExchangeError($"MEXC no longer lists stop {clientOrderId}", ErrorKind.Unknown);
        }

        var (code, message) = await Call(() => _http.CancelWithExternal(symbol, clientOrderId, cancel)).ConfigureAwait(false);

        // cancelled now, or already done (filled, expired, cancelled by an earlier try whose answer was lost): say how it ended
        var order = await Call(() => _http.GetOrderByExternalOid(symbol, clientOrderId, cancel)).ConfigureAwait(false);
        if (order is not null && await State(order, cancel).ConfigureAwait(false) is { IsDone: true } done)
        {
            return done;
        }

        throw new ExchangeError(
            code == 0 ? $"MEXC took the cancel of order {clientOrderId} but still lists it open" : $"MEXC refused to cancel order {clientOrderId} (MEXC {code}: {message})",
            code == 0 ? ErrorKind.Unknown : ErrorKind.Rejected);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<ExecutionReport>> Executions(string symbol, long since, CancellationToken cancel = default)
    {
        var contract = await Contract(symbol, cancel).ConfigureAwait(false);
        await Call(() => EnsureClock(cancel)).ConfigureAwait(false);
        var now = Now.ToUnixTimeMilliseconds() + ClockMarginMs;
        var deals = new Dictionary<string, MexcDeal>(StringComparer.Ordinal);
        for (var page = 1; ; page++)
        {
            var batch = await Call(() => _http.GetOrderDeals(symbol, since, now, page, cancel)).ConfigureAwait(false);
            foreach (var deal in batch)
            {
                deals[deal.Id] = deal;
            }

            if (batch.Count < PageSize)
            {
                break;
            }
        }

        var reports = new List<ExecutionReport>(deals.Count);
        foreach (var d in deals.Values.OrderBy(d => d.Timestamp).ThenBy(d => d.Id, StringComparer.Ordinal))
        {
            reports.Add(new ExecutionReport(
                d.Id,
                await ClientOrderId(d.OrderId, cancel).ConfigureAwait(false),
                d.Symbol,
                MexcEnums.SideOf(d.Side),
                contract.Quantity(d.Vol),
                d.Price,
                d.Fee,
                d.FeeCurrency,
                !d.IsTaker,
                DateTimeOffset.FromUnixTimeMilliseconds(d.Timestamp)));
        }

        return reports;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<FundingPayment>> Funding(long since, CancellationToken cancel = default)
    {
        await Call(() => EnsureClock(cancel)).ConfigureAwait(false);
        var now = Now.ToUnixTimeMilliseconds() + ClockMarginMs;
        var records = new Dictionary<long, MexcFunding>();
        for (var page = 1; ; page++)
        {
            var batch = await Call(() => _http.GetFundingRecords(since, now, page, cancel)).ConfigureAwait(false);
            foreach (var record in batch.Items.Where(r => r.SettleTime >= since))
            {
                records[record.Id] = record;
            }

            if (batch.CurrentPage >= batch.TotalPage || batch.Items.Count == 0)
            {
                break;
            }
        }

        var payments = new List<FundingPayment>(records.Count);
        foreach (var r in records.Values.OrderBy(r => r.SettleTime).ThenBy(r => r.Id))
        {
            // funding is the account's cash flow, negative when paid; a payment is positive when paid
            var asset = (await Contract(r.Symbol, cancel).ConfigureAwait(false)).SettleCoin;
            payments.Add(new FundingPayment(r.Symbol, -r.Funding, asset, DateTimeOffset.FromUnixTimeMilliseconds(r.SettleTime)));
        }

        return payments;
    }

    /// <summary>Sets the account to one-way position mode, as the runtime trades; already one-way is left alone.</summary>
    public async ValueTask UseOneWayMode(CancellationToken cancel = default)
    {
        if (await Call(() => _http.GetPositionMode(cancel)).ConfigureAwait(false) != MexcEnums.OneWay)
        {
            await Call(async () =>
            {
                await _http.ChangePositionMode(MexcEnums.OneWay, cancel).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
        }
    }

    /// <summary>Sets a symbol's cross-margin leverage for both directions, within the contract's limits; returns it.</summary>
    /// <exception cref="ExchangeError">The leverage is outside [minLeverage, maxLeverage] of the contract (kind Rejected).</exception>
    public async ValueTask<int> SetLeverage(string symbol, int leverage, CancellationToken cancel = default)
    {
        var contract = await Contract(symbol, cancel).ConfigureAwait(false);
        if (leverage < contract.MinLeverage || leverage > contract.MaxLeverage)
        {
            throw new ExchangeError($"MEXC allows {symbol} leverage from {contract.MinLeverage} to {contract.MaxLeverage}, found {leverage}", ErrorKind.Rejected);
        }

        foreach (var positionType in new[] { 1, 2 })
        {
            await Call(async () =>
            {
                await _http.ChangeLeverage(symbol, leverage, MexcEnums.Cross, positionType, cancel).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
        }

        return leverage;
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<VenueBar> StreamBars(string symbol, Interval interval, long since, CancellationToken cancel = default)
    {
        var name = IntervalName(interval);
        var step = interval.Milliseconds;
        MexcKlinePush? pending = null;
        var subscribe = JsonSerializer.Serialize(new { method = "sub.kline", param = new { symbol, interval = name } });
        var stream = new ReconnectingBarStream(
            $"{symbol} {name} klines",
            step,
            async ct =>
            {
                pending = null;
                await Contract(symbol, ct).ConfigureAwait(false);
                return await MexcStreamConnection.ConnectAsync(
                    _options.Environment.StreamAddress, [subscribe], _options.StreamIdleTimeout, _options.StreamPingInterval, _options.TimeProvider, ct).ConfigureAwait(false);
            },
            text =>
            {
                // a push has no "closed" flag: a window has closed when a push for a later window arrives
                if (MexcWsParse.Kline(text) is not { } k || k.Symbol != symbol || k.Interval != name)
                {
                    return null;
                }

                var closed = pending is { } p && k.Time > p.Time ? p : null;
                pending = k;
                return closed is null ? null : Bar(symbol, closed);
            },
            async (from, ct) => await Bars(symbol, interval, from, Now.ToUnixTimeMilliseconds() + step, ct).ConfigureAwait(false),
            new Backoff(_options.StreamReconnectBaseDelay, _options.StreamReconnectMaxDelay, _options.Jitter),
            _options.TimeProvider,
            _log,
            _options.Observer);
        return stream.Run(since, cancel);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<AccountEvent> StreamAccount(CancellationToken cancel = default) =>
        new MexcAccountStream(_http, _options, (symbol, ct) => Contract(symbol, ct).AsTask(), State).Run(cancel);

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    private async ValueTask<OrderState> PlaceOrder(OrderRequest order, decimal vol, CancellationToken cancel)
    {
        var body = new Dictionary<string, object>
        {
            ["symbol"] = order.Symbol,
            ["vol"] = vol,
            ["leverage"] = _options.Leverage,
            ["side"] = MexcEnums.Side(order.Side),
            ["type"] = order.Type switch
            {
                OrderType.Limit when order.Price is > 0m => MexcEnums.Type(order.Type, order.TimeInForce),
                OrderType.Market => MexcEnums.Type(order.Type, order.TimeInForce),
                OrderType.Limit => throw new ExchangeError($"order {order.ClientOrderId}: a LIMIT order needs a positive price", ErrorKind.Rejected),
                _ => throw new ExchangeError($"order {order.ClientOrderId}: order type {order.Type} is not traded on MEXC here", ErrorKind.Rejected),
            },
            ["openType"] = MexcEnums.Cross,
            ["externalOid"] = order.ClientOrderId,
            ["positionMode"] = MexcEnums.OneWay,
            ["reduceOnly"] = order.ReduceOnly,
        };
        if (order.Type == OrderType.Limit)
        {
            body["price"] = order.Price!.Value;
        }

        try
        {
            await _http.SubmitOrder(body, cancel).ConfigureAwait(false);
        }
        catch (MexcApiException e) when (e.Code is { } code && MexcErrors.RejectsTheOrder(code))
        {
            return Refused(order, e.Message);
        }
        catch (MexcApiException e) when (e.Code == MexcErrors.RequestTimeOutsideWindow)
        {
            throw new ExchangeError($"{e.Message}; the order was not placed and MEXC's clock has been read again: send it again", ErrorKind.VenueFailure);
        }
        catch (MexcApiException e) when (e.NeverSent)
        {
            throw new ExchangeError($"{e.Message}; the order was not placed", ErrorKind.VenueFailure);
        }
        catch (MexcApiException e) when (e.OutcomeUnknown)
        {
            return await Reconcile(order, e, cancel).ConfigureAwait(false);
        }
        catch (MexcApiException e)
        {
            throw new ExchangeError(e.Message, e.Kind);
        }

        // the submit answers only the order id: its state is read by the client order id
        var placed = await Call(() => _http.GetOrderByExternalOid(order.Symbol, order.ClientOrderId, cancel)).ConfigureAwait(false)
            ?? throw new ExchangeError($"MEXC took order {order.ClientOrderId} but does not list it: reconcile before sending it again", ErrorKind.Unknown);
        return await State(placed, cancel).ConfigureAwait(false);
    }

    private async ValueTask<OrderState> PlaceStop(OrderRequest order, decimal vol, CancellationToken cancel)
    {
        if (order.StopPrice is not > 0m)
        {
            throw new ExchangeError($"order {order.ClientOrderId}: a STOP_MARKET order needs a positive stop price", ErrorKind.Rejected);
        }

        // a stop here only ever exits: a trigger order on the closing side, which cannot open or add
        var body = new Dictionary<string, object>
        {
            ["symbol"] = order.Symbol,
            ["vol"] = vol,
            ["leverage"] = _options.Leverage,
            ["side"] = MexcEnums.CloseSide(order.Side),
            ["openType"] = MexcEnums.Cross,
            ["triggerPrice"] = order.StopPrice.Value,
            ["triggerType"] = order.Side == OrderSide.Sell ? 2 : 1,
            ["executeCycle"] = 2,
            ["orderType"] = 5,
            ["trend"] = _options.StopTrigger,
        };
        try
        {
            var id = await _http.PlacePlanOrder(body, cancel).ConfigureAwait(false);
            _stops[order.ClientOrderId] = (order.Symbol, id, order);
            return (await StopState(order.ClientOrderId, _stops[order.ClientOrderId], cancel).ConfigureAwait(false))!;
        }
        catch (MexcApiException e) when (e.Code is { } code && MexcErrors.RejectsTheOrder(code))
        {
            return Refused(order, e.Message);
        }
        catch (MexcApiException e) when (e.OutcomeUnknown)
        {
            throw new ExchangeError(
                $"{e.Message}; MEXC trigger orders carry no client order id, so whether stop {order.ClientOrderId} was placed is unknown: check the open trigger orders before sending it again",
                ErrorKind.Unknown);
        }
        catch (MexcApiException e)
        {
            throw new ExchangeError(e.NeverSent ? $"{e.Message}; the order was not placed" : e.Message, e.NeverSent ? ErrorKind.VenueFailure : e.Kind);
        }
    }

    // the order was sent but no definite answer came: the venue's books say whether it exists
    private async ValueTask<OrderState> Reconcile(OrderRequest order, MexcApiException failure, CancellationToken cancel)
    {
        _log.LogWarning("{Failure}; looking order {ClientOrderId} up by its externalOid before deciding anything", failure.Message, order.ClientOrderId);
        MexcOrder? found;
        try
        {
            found = await _http.GetOrderByExternalOid(order.Symbol, order.ClientOrderId, cancel).ConfigureAwait(false);
        }
        catch (MexcApiException lookup)
        {
            throw new ExchangeError(
                $"{failure.Message}; looking order {order.ClientOrderId} up failed too ({lookup.Message}): whether it was placed is unknown, reconcile before sending it again",
                ErrorKind.Unknown);
        }

        if (found is not null)
        {
            _log.LogInformation("Order {ClientOrderId} was placed despite the failure", order.ClientOrderId);
            return await State(found, cancel).ConfigureAwait(false);
        }

        throw new ExchangeError($"{failure.Message}; MEXC has no order {order.ClientOrderId}, so it was not placed: send it again", ErrorKind.VenueFailure);
    }

    private async ValueTask<OrderState?> StopState(string clientId, (string Symbol, string PlanId, OrderRequest Request) stop, CancellationToken cancel)
    {
        MexcPlanOrder? plan = null;
        for (var page = 1; plan is null; page++)
        {
            var batch = await Call(() => _http.GetPlanOrders(stop.Symbol, page, cancel)).ConfigureAwait(false);
            plan = batch.FirstOrDefault(p => p.Id == stop.PlanId);
            if (batch.Count < PageSize)
            {
                break;
            }
        }

        if (plan is null)
        {
            return null;
        }

        var r = stop.Request;
        OrderState Of(OrderStatus status, decimal filled = 0m, decimal average = 0m, string? reason = null) =>
            new(clientId, plan.Id, r.Symbol, r.Side, OrderType.StopMarket, r.Quantity, filled, null, average, status, DateTimeOffset.FromUnixTimeMilliseconds(plan.UpdateTime), reason);

        switch (plan.State)
        {
            case 1:
                return Of(OrderStatus.New);
            case 2:
                return Of(OrderStatus.Canceled);
            case 3 when plan.OrderId is { } orderId && await Call(() => _http.GetOrder(orderId, cancel)).ConfigureAwait(false) is { } fired:
                var state = await State(fired, cancel).ConfigureAwait(false);
                return Of(state.Status, state.FilledQuantity, state.AverageFillPrice, state.RejectReason);
            case 3:
                return Of(OrderStatus.New);
            default:
                return Of(OrderStatus.Rejected, reason: $"MEXC trigger order ended in state {plan.State} (error code {plan.ErrorCode})");
        }
    }

    private async ValueTask<OrderState> State(MexcOrder order, CancellationToken cancel)
    {
        var contract = await Contract(order.Symbol, cancel).ConfigureAwait(false);
        _clientIds[order.OrderId] = order.ExternalOid;
        var status = MexcEnums.Status(order.State, order.DealVol, order.ErrorCode);
        return new OrderState(
            order.ExternalOid,
            order.OrderId,
            order.Symbol,
            MexcEnums.SideOf(order.Side),
            MexcEnums.TypeOf(order.OrderType),
            contract.Quantity(order.Vol),
            contract.Quantity(order.DealVol),
            order.Price == 0m ? null : order.Price,
            order.DealAvgPrice,
            status,
            DateTimeOffset.FromUnixTimeMilliseconds(order.UpdateTime),
            status is OrderStatus.Rejected or OrderStatus.Expired ? $"MEXC ended the order with error code {order.ErrorCode}" : null);
    }

    private OrderState Refused(OrderRequest order, string reason) =>
        new(order.ClientOrderId, null, order.Symbol, order.Side, order.Type, order.Quantity, 0m, order.Price, 0m, OrderStatus.Rejected, Now, reason);

    private async ValueTask<string> ClientOrderId(string orderId, CancellationToken cancel)
    {
        if (_clientIds.TryGetValue(orderId, out var known))
        {
            return known;
        }

        var order = await Call(() => _http.GetOrder(orderId, cancel)).ConfigureAwait(false);
        return order is null || order.ExternalOid.Length == 0 ? $"mexc-{orderId}" : (await State(order, cancel).ConfigureAwait(false)).ClientOrderId;
    }

    private async ValueTask<IReadOnlyList<MexcContract>> LoadContracts(CancellationToken cancel)
    {
        var contracts = await Call(() => _http.GetContractDetail(null, cancel)).ConfigureAwait(false);
        foreach (var c in contracts)
        {
            _contracts[c.Symbol] = c;
        }

        return contracts;
    }

    private async ValueTask<MexcContract> Contract(string symbol, CancellationToken cancel)
    {
        if (_contracts.TryGetValue(symbol, out var known))
        {
            return known;
        }

        await LoadContracts(cancel).ConfigureAwait(false);
        return _contracts.TryGetValue(symbol, out var contract)
            ? contract
            : throw new ExchangeError($"MEXC lists no contract {symbol} (symbols look like BTC_USDT)", ErrorKind.Rejected);
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
        catch (MexcApiException e)
        {
            throw new ExchangeError(e.Message, e.Kind);
        }
    }

    private VenueBar Bar(string symbol, MexcKlinePush k) =>
        new(symbol, k.Time * 1000, (double)k.Open, (double)k.High, (double)k.Low, (double)k.Close, (double)_contracts[symbol].Quantity(k.Vol));

    private static long Seconds(long ms, bool up) => up ? (ms + 999) / 1000 : ms / 1000;

    private static string IntervalName(Interval interval) =>
        MexcEnums.Interval(interval.Milliseconds)
        ?? throw new ExchangeError($"MEXC has no {interval} klines; it serves 1m, 5m, 15m, 30m, 1h, 4h, 8h, 1d and 1w", ErrorKind.Rejected);
}
