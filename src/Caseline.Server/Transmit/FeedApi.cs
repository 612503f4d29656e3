using Caseline.Messages;
using Caseline.Server.Audit;
using Caseline.Server.Http;
using Caseline.Server.Identity;
using Caseline.Server.Log;
using Caseline.Server.Operations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Caseline.Server.Transmit;

/// <summary>The pull feed: an agency's messages in log order, cursor-paged, with long polling.</summary>
internal static class FeedApi
{
    private const int DefaultLimit = 100;
    private const int MaxLimit = 1000;
    private const int MaxWaitSeconds = 60;

    public static IServiceCollection AddTransmit(this IServiceCollection services) => services.AddSingleton<MessageFeed>();

    public static RouteGroupBuilder MapFeed(this RouteGroupBuilder api)
    {
        var transmit = api.MapGroup("/transmit").WithTags("Transmit");
        transmit.MapGet("/head", Head).WithSummary("The feed's last position and the server's clock")
            .WithDescription("A consumer's lag is Position minus its checkpoint; At lets a receiver check its clock against the webhook timestamp tolerance.");
        transmit.MapGet("/messages", Read).WithMetadata(new AuditedAttribute())
            .WithSummary("Read the agency's messages after a cursor")
            .WithDescription("No cursor: from the beginning. afterPosition: start after that feed position instead of a cursor (a consumer's checkpoint, a replay). limit: 1 to 1000 (default 100). wait: up to 60 seconds to hold an empty page open until a message arrives. Filters: subType, clientId. Each entry says whether the reader's own credentials wrote it (OwnEcho).");
        return api;
    }

    private static Ok<FeedHead> Head(Caller caller, MessageFeed feed, TimeProvider clock) =>
        TypedResults.Ok(new FeedHead(feed.Head(caller.AgencyId), clock.GetUtcNow()));

    private static async Task<Results<MessagePage, ValidationProblem>> Read(
        Caller caller, MessageFeed feed, LogSignal signal, TimeProvider clock, CaselineTelemetry telemetry,
        string? after, long? afterPosition, int? limit, int? wait, string? subType, string? clientId, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!Cursor.TryDecode(after, out long position))
        {
            errors["after"] = ["after is invalid"];
        }

        if (afterPosition is { } start)
        {
            if (start < 0 || after is not null)
            {
                errors["afterPosition"] = [after is null ? "afterPosition is invalid" : "afterPosition cannot be given with after"];
            }

            position = start;
        }

        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = ["limit is invalid"];
        }

        if (wait is < 0 or > MaxWaitSeconds)
        {
            errors["wait"] = ["wait is invalid"];
        }

        var section = subType is null ? null : Section.Find(subType.Trim());
        if (subType is not null && section is null)
        {
            errors["subType"] = ["subType is invalid"];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var deadline = clock.GetUtcNow().AddSeconds(wait ?? 0);
        while (true)
        {
            // Take the signal before reading, so a commit between the read and the wait is not missed.
            var grown = signal.Next;
            var page = feed.Read(caller.AgencyId, caller.Origin, position, limit ?? DefaultLimit, section?.Name, string.IsNullOrWhiteSpace(clientId) ? null : clientId.Trim());
            var remaining = deadline - clock.GetUtcNow();
            if (page.Messages.Count > 0 || remaining <= TimeSpan.Zero)
            {
                return new MessagePage(page.Messages, Cursor.Encode(page.Cursor), page.HasMore);
            }

            position = page.Cursor;
            telemetry.FeedWaiting(1);
            try
            {
                await grown.WaitAsync(remaining < TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1), clock, ct);
            }
            catch (TimeoutException)
            {
                // Poll again: another process may have written (a shared database has no in-process signal).
            }
            finally
            {
                telemetry.FeedWaiting(-1);
            }
        }
    }
}

/// <summary>The feed's last position, and the server's clock when it answered.</summary>
/// <param name="Position">The position of the agency's newest message (0 when there is none).</param>
/// <param name="At">The server's time.</param>
internal sealed record FeedHead(long Position, DateTimeOffset At);
