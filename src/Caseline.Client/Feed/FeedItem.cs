using Caseline.Messages;
using Caseline.Messages.Json;

namespace Caseline.Client;

/// <summary>
/// One message of the Transmit feed (or of a client's timeline): its position in the agency's log, its
/// bytes exactly as emitted (the same bytes a webhook carries), and whether the reader's own credentials
/// wrote it. <see cref="Message"/> is parsed from <see cref="Body"/> on first use.
/// </summary>
public sealed class FeedItem
{
    private ClientMessage? _message;

    /// <summary>An item; <paramref name="body"/> must be one message's UTF-8 JSON.</summary>
    public FeedItem(long position, ReadOnlyMemory<byte> body, bool ownEcho)
    {
        Position = position;
        Body = body;
        OwnEcho = ownEcho;
    }

    /// <summary>The message's position in the agency's log: 1, 2, 3, … with no gap. Checkpoint it.</summary>
    public long Position { get; }

    /// <summary>The message's UTF-8 JSON exactly as Caseline emitted it.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>
    /// True when the credentials reading the feed (same API client, same user) wrote this change: a CMS that
    /// syncs both ways skips these to avoid echo loops.
    /// </summary>
    public bool OwnEcho { get; }

    /// <summary>The message, parsed (tolerantly) from <see cref="Body"/> on first use.</summary>
    /// <exception cref="MessageFormatException">The body is not a Caseline message.</exception>
    public ClientMessage Message => _message ??= MessageReader.Read(Body.Span);

    /// <summary>The message's <c>Activity.Identifier</c>, or, for a body that cannot be read as a message, a key made from the position.</summary>
    public string MessageId
    {
        get
        {
            try
            {
                return Message.Activity.Identifier.ToString("D");
            }
            catch (MessageFormatException)
            {
                return $"position-{Position}";
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Position}: {Message.Action.Reason} ({Message.Activity.Identifier})";
}

/// <summary>What to read from the feed and how.</summary>
public sealed record FeedReadOptions
{
    /// <summary>Only messages of this section (<c>"Address Details"</c>); all when null.</summary>
    public string? SubType { get; init; }

    /// <summary>Only this client's messages; all when null.</summary>
    public string? ClientId { get; init; }

    /// <summary>Messages per page, 1 to 1000 (default 1000).</summary>
    public int PageSize { get; init; } = 1000;

    /// <summary>
    /// Keep reading at the end of the log (default false): the enumeration then long-polls for new messages
    /// and ends only when cancelled.
    /// </summary>
    public bool Follow { get; init; }

    /// <summary>How long one long poll holds at the end of the log, 1 to 60 s (default 30 s).</summary>
    public TimeSpan Wait { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>The feed's last position, and the server's clock when it answered.</summary>
/// <param name="Position">The position of the agency's newest message (0 when there is none).</param>
/// <param name="At">The server's time.</param>
public sealed record FeedHead(long Position, DateTimeOffset At);
