using Caseline.Server.Http;
using Caseline.Server.Identity;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Caseline.Server.Audit;

/// <summary>Marks endpoints that read or change client data: every call to them is put on record.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
internal sealed class AuditedAttribute : Attribute;

/// <summary>One record of the audit trail.</summary>
/// <param name="Id">Its place in the trail.</param>
/// <param name="At">When (UTC).</param>
/// <param name="Actor">Who: the login or API client name (for a failed logon, the name that was tried).</param>
/// <param name="Action">What: <c>logon</c>, or the method and route template.</param>
/// <param name="ClientId">Which client's data, when the route names one.</param>
/// <param name="Remote">From where: the remote address.</param>
/// <param name="Outcome">The HTTP status the request ended with.</param>
internal sealed record AuditRecord(long Id, DateTimeOffset At, string Actor, string Action, string? ClientId, string? Remote, int Outcome);

/// <summary>A page of the audit trail, in the order it was read; <paramref name="Cursor"/> is where the next page starts.</summary>
internal sealed record AuditPage(IReadOnlyList<AuditRecord> Records, string? Cursor, bool HasMore);

/// <summary>What a read of the audit trail came to.</summary>
internal abstract record AuditRead
{
    private AuditRead()
    {
    }

    /// <summary>A page of records.</summary>
    public sealed record Found(AuditPage Page) : AuditRead;

    /// <summary>The cursor or the page size asked for is not one the trail gives or takes.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : AuditRead;
}

/// <summary>
/// The append-only audit trail: every logon (success or failure) and every call to an endpoint that
/// reads or changes client data. Nothing in the API updates or deletes it. A change's record commits in
/// the change's own unit. Any other record is queued before its response starts and commits with the next
/// group commit; the request does not wait for that commit, since its response is on the wire before it
/// either way. The audit API answers only after every record queued before it has committed.
/// </summary>
internal sealed partial class AuditTrail(WriteQueue writes, AuditStorage storage, ILogger<AuditTrail> logger)
{
    /// <summary>
    /// The agency's records oldest first, as the API pages them: after the record <paramref name="after"/> points at,
    /// <paramref name="limit"/> (100 when not given, at most 1,000) at a time.
    /// </summary>
    public async Task<AuditRead> ReadAsync(long agencyId, AuditFilter filter, string? after, int? limit, CancellationToken ct)
    {
        if (!Cursor.TryDecode(after, out long afterId) || limit is < 1 or > 1000)
        {
            return Invalid("query", "The after or limit parameter is invalid");
        }

        // Records of requests that have already been answered may still be queued: show them too.
        await writes.FlushAsync(ct);
        var take = limit ?? 100;
        var records = storage.After(agencyId, filter, afterId, take + 1);
        var hasMore = records.Count > take;
        records = hasMore ? records[..take] : records;
        return new AuditRead.Found(new AuditPage(records, records.Count > 0 ? Cursor.Encode(records[^1].Id) : after, hasMore));
    }

    /// <summary>
    /// The agency's records newest first, as the web UI's audit page lists them: <paramref name="before"/> is the cursor of
    /// the last record of the page before (records with a smaller id come next); the page's cursor is set when more follow.
    /// </summary>
    public async Task<AuditRead> LatestAsync(long agencyId, AuditFilter filter, string? before, int take, CancellationToken ct)
    {
        if (!Cursor.TryDecode(before, out long beforeId))
        {
            return Invalid("before", "The before parameter is invalid");
        }

        // Records of requests that have already been answered may still be queued: show them too.
        await writes.FlushAsync(ct);
        var records = storage.Before(agencyId, filter, before is null ? null : beforeId, take + 1);
        return new AuditRead.Found(records.Count > take
            ? new AuditPage(records[..take], Cursor.Encode(records[take - 1].Id), true)
            : new AuditPage(records, null, false));
    }

    private static AuditRead.Invalid Invalid(string field, string message) => new(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    public Task RecordAsync(HttpContext context, long? agencyId, string actor, string action, string? clientId, int outcome, CancellationToken ct)
    {
        var remote = context.Connection.RemoteIpAddress?.ToString();
        return writes.RunAsync(scope => Insert(scope, agencyId, actor, action, clientId, remote, outcome), ct);
    }

    /// <summary>Adds a record to the unit's batch; it is inserted with the batch's others just before the commit, and rolls back with its unit.</summary>
    internal static int Insert(WriteScope scope, long? agencyId, string actor, string action, string? clientId, string? remote, int outcome)
    {
        scope.Audit(new AuditRow(agencyId, scope.Now.UtcTicks, Truncate(actor, 254), action, clientId is null ? null : Truncate(clientId, 64), remote, outcome));
        return 1;
    }

    /// <summary>Lets a queued record commit without anyone waiting for it; a record that fails to commit is logged.</summary>
    public void Release(Task recording)
    {
        if (!recording.IsCompletedSuccessfully)
        {
            recording.ContinueWith(
                failed => LogRecordFailed(failed.Exception!), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "An audit record failed to commit")]
    private partial void LogRecordFailed(Exception exception);
}

/// <summary>
/// The pending audit record of a request to an audited endpoint. A handler that changes data writes it
/// inside the change's own write unit, with the status it is about to answer, so that the change and
/// its record commit together in one group commit instead of two in a row. Whatever a handler did not
/// write (reads, refusals, failures) the middleware writes once the response status is known.
/// </summary>
internal sealed class AuditEntry(HttpContext context, string action)
{
    private (long? AgencyId, string Actor, string? ClientId, string? Remote) _who;

    /// <summary>Whether the record is written: in a write unit (committing or rolling back with it), or on its own.</summary>
    public bool Written { get; private set; }

    /// <summary>
    /// The entry of the current request, or null when its endpoint is not audited. Called by the handler,
    /// after authentication: it takes who is calling from the request then, so that a write unit running on
    /// the writer's thread never touches the request.
    /// </summary>
    public static AuditEntry? Of(HttpContext context)
    {
        var entry = context.Features.Get<AuditEntry>();
        entry?.Capture();
        return entry;
    }

    /// <summary>
    /// Writes the record in <paramref name="scope"/>'s unit with the status the handler will answer, and the
    /// client it concerns when the route does not name one (a create names it in the body).
    /// </summary>
    public void WriteIn(WriteScope scope, int outcome, string? clientId = null)
    {
        AuditTrail.Insert(scope, _who.AgencyId, _who.Actor, action, clientId ?? _who.ClientId, _who.Remote, outcome);
        Written = true;
    }

    /// <summary>Writes the record on its own with the response's final status, unless it is already written.</summary>
    public Task WriteAfterAsync(int outcome)
    {
        if (Written)
        {
            return Task.CompletedTask;
        }

        Written = true;
        Capture();
        return context.RequestServices.GetRequiredService<AuditTrail>().RecordAsync(context, _who.AgencyId, _who.Actor, action, _who.ClientId, outcome, CancellationToken.None);
    }

    /// <summary>Called when the request failed before its response started, so that the failure is recorded too.</summary>
    public void Forget() => Written = false;

    private void Capture()
    {
        var caller = context.User.Identity?.IsAuthenticated == true ? Caller.TryFrom(context.User) : null;
        _who = (caller?.AgencyId, caller?.Login ?? "anonymous",
            context.Request.RouteValues["clientId"] as string ?? context.Request.Query["clientId"].FirstOrDefault(),
            context.Connection.RemoteIpAddress?.ToString());
    }
}

/// <summary>The audit trail's middleware and its query API.</summary>
internal static class AuditApi
{
    /// <summary>Records calls to <see cref="AuditedAttribute"/> endpoints, with their outcome, whoever made them.</summary>
    public static async Task Middleware(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint() is not RouteEndpoint endpoint || endpoint.Metadata.GetMetadata<AuditedAttribute>() is null)
        {
            await next(context);
            return;
        }

        var entry = new AuditEntry(context, $"{context.Request.Method} {endpoint.RoutePattern.RawText}");
        context.Features.Set(entry);

        // The status is final once the response starts: queue the record then, before any of the body is sent.
        Task? recording = null;
        context.Response.OnStarting(() =>
        {
            recording = entry.WriteAfterAsync(context.Response.StatusCode);
            return Task.CompletedTask;
        });
        try
        {
            await next(context);
        }
        catch
        {
            if (recording is null)
            {
                // Record the failure. A record written by a unit that threw rolled back with it; one whose unit
                // committed before something later failed stands beside this one, as the change does.
                entry.Forget();
                await entry.WriteAfterAsync(StatusCodes.Status500InternalServerError);
            }
            else
            {
                await recording;
            }

            throw;
        }

        context.RequestServices.GetRequiredService<AuditTrail>().Release(recording ?? entry.WriteAfterAsync(context.Response.StatusCode));
    }

    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder admin)
    {
        admin.MapGet("/audit", Query).WithTags("Administration").WithSummary("The agency's audit trail")
            .WithDescription("Filters: actor, clientId, from and to (UTC). Paged oldest first with an opaque cursor.");
        return admin;
    }

    internal static async Task<Results<Ok<AuditPage>, ValidationProblem>> Query(
        Caller caller, AuditTrail audit, string? actor, string? clientId, DateTimeOffset? from, DateTimeOffset? to, string? after, int? limit, CancellationToken ct) =>
        await audit.ReadAsync(caller.AgencyId, new AuditFilter(actor, clientId, from, to), after, limit, ct) switch
        {
            AuditRead.Found found => TypedResults.Ok(found.Page),
            AuditRead.Invalid invalid => Problems.Invalid(invalid.Errors),
            _ => throw new InvalidOperationException("An audit read has no other result."),
        };
}
