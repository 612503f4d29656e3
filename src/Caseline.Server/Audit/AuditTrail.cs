using System.Data.Common;
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

/// <summary>A page of the audit trail, newest last.</summary>
internal sealed record AuditPage(IReadOnlyList<AuditRecord> Records, string? Cursor, bool HasMore);

/// <summary>
/// The append-only audit trail: every logon (success or failure) and every call to an endpoint that
/// reads or changes client data. Nothing in the API updates or deletes it. A record is committed
/// before the request that caused it completes.
/// </summary>
internal sealed class AuditTrail(WriteQueue writes)
{
    public Task RecordAsync(HttpContext context, long? agencyId, string actor, string action, string? clientId, int outcome, CancellationToken ct) =>
        writes.RunAsync(scope => scope.Connection.Execute(
            "INSERT INTO audit (agency_id, at, actor, action, client_id, remote, outcome) VALUES (@agency, @at, @actor, @action, @client, @remote, @outcome)",
            scope.Transaction, ("@agency", agencyId), ("@at", scope.Now.UtcTicks), ("@actor", Truncate(actor, 254)), ("@action", action),
            ("@client", clientId is null ? null : Truncate(clientId, 64)), ("@remote", context.Connection.RemoteIpAddress?.ToString()), ("@outcome", outcome)), ct);

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}

/// <summary>The audit trail's middleware and its query API.</summary>
internal static class AuditApi
{
    /// <summary>Records calls to <see cref="AuditedAttribute"/> endpoints, with their outcome, whoever made them.</summary>
    public static async Task Middleware(HttpContext context, RequestDelegate next)
    {
        await next(context);
        if (context.GetEndpoint() is RouteEndpoint endpoint && endpoint.Metadata.GetMetadata<AuditedAttribute>() is not null)
        {
            var caller = context.User.Identity?.IsAuthenticated == true ? Caller.TryFrom(context.User) : null;
            var clientId = context.Request.RouteValues["clientId"] as string ?? context.Request.Query["clientId"].FirstOrDefault();
            await context.RequestServices.GetRequiredService<AuditTrail>().RecordAsync(
                context, caller?.AgencyId, caller?.Login ?? "anonymous", $"{context.Request.Method} {endpoint.RoutePattern.RawText}", clientId,
                context.Response.StatusCode, CancellationToken.None);
        }
    }

    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder admin)
    {
        admin.MapGet("/audit", Query).WithTags("Administration").WithSummary("The agency's audit trail")
            .WithDescription("Filters: actor, clientId, from and to (UTC). Paged oldest first with an opaque cursor.");
        return admin;
    }

    private static Results<Ok<AuditPage>, ValidationProblem> Query(
        Caller caller, Database database, string? actor, string? clientId, DateTimeOffset? from, DateTimeOffset? to, string? after, int? limit)
    {
        if (!Cursor.TryDecode(after, out long afterId) || limit is < 1 or > 1000)
        {
            return Problems.Invalid("query", "The after or limit parameter is invalid");
        }

        var take = limit ?? 100;
        using var connection = database.OpenReader();
        using var command = connection.Command(
            "SELECT id, at, actor, action, client_id, remote, outcome FROM audit WHERE agency_id = @agency AND id > @after"
            + (actor is null ? "" : " AND actor = @actor") + (clientId is null ? "" : " AND client_id = @client")
            + (from is null ? "" : " AND at >= @from") + (to is null ? "" : " AND at <= @to") + " ORDER BY id LIMIT @limit",
            null, ("@agency", caller.AgencyId), ("@after", afterId), ("@actor", actor), ("@client", clientId),
            ("@from", from?.UtcTicks), ("@to", to?.UtcTicks), ("@limit", take + 1));
        var records = Read(command);
        var hasMore = records.Count > take;
        records = hasMore ? records[..take] : records;
        return TypedResults.Ok(new AuditPage(records, records.Count > 0 ? Cursor.Encode(records[^1].Id) : after, hasMore));
    }

    private static List<AuditRecord> Read(DbCommand command)
    {
        using var reader = command.ExecuteReader();
        var records = new List<AuditRecord>();
        while (reader.Read())
        {
            records.Add(new AuditRecord(
                reader.GetInt64(0), reader.Timestamp(1), reader.GetString(2), reader.GetString(3),
                reader.NullableString(4), reader.NullableString(5), reader.GetInt32(6)));
        }

        return records;
    }
}
