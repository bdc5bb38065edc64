using System.Net;
using System.Net.Sockets;

namespace StrategyLab.Exchanges.Http;

/// <summary>
/// The HTTP handler every venue client sends through: redirects are not followed, each connection's plaintext stream
/// lets only the first send of a request through (<see cref="OneSendStream"/>: .NET would otherwise resend a request
/// whose connection closed before any answer, up to 3 times, uncounted), and connections actually made are counted, so
/// that "never connected" (offline) fails at once instead of being retried. Call <see cref="BeginRequest"/> before each
/// request, from the flow that sends it.
/// </summary>
internal sealed class GuardedConnections
{
    private readonly AsyncLocal<RequestSends?> _sends = new();
    private int _connectionsMade;

    /// <summary>TCP connections made so far.</summary>
    public int ConnectionsMade => Volatile.Read(ref _connectionsMade);

    /// <summary>A handler with the guard, HTTP/1.1 streams and the connect timeout.</summary>
    public SocketsHttpHandler CreateHandler(TimeSpan connectTimeout) => new()
    {
        ConnectTimeout = connectTimeout,
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectCallback = ConnectAsync,

        // a redirect followed by the handler would be a second request counted nowhere
        AllowAutoRedirect = false,
        PlaintextStreamFilter = (context, _) => ValueTask.FromResult<Stream>(new OneSendStream(context.PlaintextStream, MaySend)),
    };

    /// <summary>Marks the start of one request: its first send goes through, any resend of it fails.</summary>
    public void BeginRequest() => _sends.Value = new RequestSends();

    // SocketsHttpHandler sends a request again, up to 3 times and at once, when its connection closes before any byte
    // of an answer; the venue may have counted each. Only the first send of each request is let through: a resend
    // fails with the connection's failure, which the caller's retry rules then see, pace and count.
    private bool MaySend() => _sends.Value is not { } sends || Interlocked.Increment(ref sends.Count) == 1;

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _connectionsMade);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class RequestSends
    {
        public int Count;
    }
}
