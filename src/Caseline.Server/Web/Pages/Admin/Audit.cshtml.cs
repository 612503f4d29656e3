using System.Globalization;
using Caseline.Server.Audit;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace Caseline.Server.Web.Pages.Admin;

/// <summary>The agency's audit trail, read-only, filtered by who, client and day; it reads through the audit API's own query.</summary>
internal sealed class AuditModel(Database database, WriteQueue writes) : AdminPage
{
    [BindProperty(SupportsGet = true)]
    public string? Actor { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ClientId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? To { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? After { get; set; }

    public IReadOnlyList<AuditRecord> Records { get; private set; } = [];

    public string? Next { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var from = Day(From, "From");
        var to = Day(To, "To")?.AddDays(1).AddTicks(-1);
        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var result = await AuditApi.Query(Caller, database, writes, Blank(Actor), Blank(ClientId), from, to, Blank(After), 200, ct);
        if (Succeeded(result.Result) && result.Result is Ok<AuditPage> page)
        {
            Records = page.Value!.Records;
            Next = page.Value.HasMore
                ? QueryHelpers.AddQueryString("/ui/admin/audit", new Dictionary<string, string?> { ["actor"] = Actor, ["clientId"] = ClientId, ["from"] = From, ["to"] = To, ["after"] = page.Value.Cursor }
                    .Where(p => !string.IsNullOrEmpty(p.Value)))
                : null;
        }
    }

    private DateTimeOffset? Day(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        Errors[field] = [$"{field} must be a date, for example 2024-05-01"];
        return null;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
