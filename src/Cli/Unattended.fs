/// Running a trading command unattended: its metrics, health and status on a local port, and alerts to chat
/// webhooks, set up before anything trades and shut down (alerts sent) when the command ends
module StrategyLab.Cli.Unattended

open System
open System.Net
open System.Net.Http
open StrategyLab.Operations
open StrategyLab.Operations.Alerts
open StrategyLab.Runtime.Trading
open StrategyLab.Cli.Output

/// What watches a runner: the metrics and their endpoint (with --metrics-port), the alerts (when a channel is set)
[<NoEquality; NoComparison>]
type Watch =
    {
        Metrics: TradingMetrics option
        Endpoint: OperationsEndpoint option
        Alerts: AlertNotifier option
        /// The observers of the runner and its venue client, as one (none when nothing watches)
        Observer: TradingObservers
        Http: HttpClient
    }

    interface IDisposable with
        member w.Dispose() =
            w.Endpoint
            |> Option.iter (fun e -> e.DisposeAsync().AsTask().GetAwaiter().GetResult())

            w.Alerts
            |> Option.iter (fun a -> a.DisposeAsync().AsTask().GetAwaiter().GetResult())

            w.Http.Dispose()

let private address (given: string option) =
    match given with
    | None -> IPAddress.Loopback
    | Some text ->
        match IPAddress.TryParse text with
        | true, NonNull ip -> ip
        | _ -> usageError $"--metrics-address: expected an IP address such as 127.0.0.1 or 0.0.0.0, found '{text}'"

let private endpoint (metrics: TradingMetrics) (port: int) (ip: IPAddress) =
    try
        let served =
            OperationsEndpoint.StartAsync(metrics, ip, port).GetAwaiter().GetResult()

        printLine $"metrics on http://{ip}:{served.Port}/metrics, health on /health, status on /status"
        served
    with :? OperationsException as e ->
        failure e.Message

/// Serves the metrics on the port given, and readies the alert channels set in the environment or the .env file;
/// a port in use or a wrong alert setting stops the command here, before anything trades
let start (port: int option) (addressText: string option) (barMilliseconds: int64) (envFile: string) =
    match port with
    | Some p when p < 1 || p > 65535 -> usageError $"--metrics-port: expected a port from 1 to 65535, found {p}"
    | _ -> ()

    if addressText.IsSome && port.IsNone then
        usageError "--metrics-address needs --metrics-port"

    let http = new HttpClient(Timeout = TimeSpan.FromSeconds 15.0)

    let channels =
        try
            AlertSettings.Channels(http, envFile)
        with :? AlertSettingsException as e ->
            http.Dispose()
            usageError e.Message

    let metrics = port |> Option.map (fun _ -> TradingMetrics(barMilliseconds))

    let served =
        match metrics, port with
        | Some m, Some p -> Some(endpoint m p (address addressText))
        | _ -> None

    let alerts =
        if channels.Count = 0 then
            None
        else
            printLine $"""alerts to {channels |> Seq.map (fun c -> c.Name) |> String.concat ", "}"""
            Some(new AlertNotifier(channels, Action<string>(printWarning)))

    {
        Metrics = metrics
        Endpoint = served
        Alerts = alerts
        Observer =
            TradingObservers(
                [|
                    yield! Option.toList (Option.map (fun m -> m :> obj) metrics)
                    yield! Option.toList (Option.map (fun a -> a :> obj) alerts)
                |]
            )
        Http = http
    }

/// Runs trading work, telling the watch of the failure that stops it before the failure goes on to the user
let reporting (watch: Watch) (work: unit -> 'T) : 'T =
    try
        work ()
    with e ->
        match e with
        | :? AggregateException as a -> watch.Observer.Failed(a.GetBaseException().Message)
        | _ -> watch.Observer.Failed(e.Message)

        reraise ()
