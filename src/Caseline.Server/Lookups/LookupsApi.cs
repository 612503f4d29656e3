using Caseline.Messages;
using Caseline.Server.Http;
using Caseline.Server.Identity;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Caseline.Server.Lookups;

/// <summary>A lookup list.</summary>
internal sealed record LookupList(string Kind, IReadOnlyList<string> Values);

/// <summary>A lookup list to store for the caller's agency.</summary>
internal sealed record LookupValues(IReadOnlyList<string>? Values);

/// <summary>
/// The value lists an officer picks from. Fixed lists come from the wire contract; the others have
/// defaults an agency may replace; caseloads and officers also gather the values clients carry.
/// </summary>
internal static class LookupsApi
{
    private static readonly Lazy<IReadOnlyList<string>> TimeZones = new(() =>
        [.. TimeZoneInfo.GetSystemTimeZones()
            .Select(z => TimeZoneInfo.TryConvertIanaIdToWindowsId(z.Id, out var windows) ? windows : null)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)]);

    private static readonly Dictionary<string, Func<IReadOnlyList<string>>> Fixed = new(StringComparer.OrdinalIgnoreCase)
    {
        ["addressTypes"] = () => Allowed(Section.AddressDetails, "AddressType"),
        ["contactTypes"] = () => Allowed(Section.ContactDetails, "ContactType"),
        ["timeZones"] = () => TimeZones.Value,
    };

    /// <summary>The kinds an agency may configure.</summary>
    internal static IEnumerable<string> Configurable => Defaults.Keys;

    private static readonly Dictionary<string, string[]> Defaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["genders"] = ["Female", "Male", "Non-binary", "Unknown"],
        ["ethnicities"] = ["American Indian or Alaska Native", "Asian", "Black or African American", "Caucasian", "Hispanic or Latino", "Native Hawaiian or Other Pacific Islander", "Other", "Unknown"],
        ["staticRiskRatings"] = ["Low", "Moderate", "High", "High - Violence"],
        ["needsClassifications"] = ["Low", "Moderate", "High", "High - Mental Health", "High - Substance Use"],
        ["offenseCategories"] = ["Felony", "Misdemeanor", "Infraction", "Other"],
        ["caseloads"] = [],
        ["officers"] = [],
    };

    private static readonly Dictionary<string, string> ClientColumn = new(StringComparer.OrdinalIgnoreCase)
    {
        ["caseloads"] = "caseload",
        ["officers"] = "officer",
    };

    public static RouteGroupBuilder MapLookups(this RouteGroupBuilder api)
    {
        var lookups = api.MapGroup("/lookups").WithTags("Lookups");
        lookups.MapGet("/{kind}", Get).WithSummary("A lookup list")
            .WithDescription("Kinds: addressTypes, contactTypes, genders, ethnicities, timeZones, staticRiskRatings, needsClassifications, offenseCategories, caseloads, officers.");
        lookups.MapPut("/{kind}", Put).RequireAuthorization(Policies.AgencyAdministration).WithSummary("Replace an agency-configurable lookup list")
            .WithDescription("Every kind but addressTypes, contactTypes and timeZones, which the wire contract fixes.");
        return api;
    }

    private static Results<Ok<LookupList>, ProblemHttpResult> Get(Caller caller, string kind, Database database) =>
        Values(caller.AgencyId, kind, database) is { } values ? TypedResults.Ok(new LookupList(Canonical(kind), values)) : Problems.NotFound("No such lookup list.");

    /// <summary>A lookup list of the agency (the API's and the web UI's drop-downs); null when there is no such kind.</summary>
    internal static IReadOnlyList<string>? Values(long agencyId, string kind, Database database)
    {
        if (Fixed.TryGetValue(kind, out var values))
        {
            return values();
        }

        if (!Defaults.TryGetValue(kind, out var defaults))
        {
            return null;
        }

        using var connection = database.OpenReader();
        var configured = new List<string>();
        using (var command = connection.Command(
            "SELECT value FROM lookups WHERE agency_id = @agency AND kind = @kind ORDER BY sort", null, ("@agency", agencyId), ("@kind", Canonical(kind))))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                configured.Add(reader.GetString(0));
            }
        }

        var list = new List<string>(configured.Count > 0 ? configured : defaults);
        if (ClientColumn.TryGetValue(kind, out var column))
        {
            using var command = connection.Command(
                $"SELECT DISTINCT {column} FROM clients WHERE agency_id = @agency AND {column} IS NOT NULL ORDER BY {column}", null, ("@agency", agencyId));
            using var reader = command.ExecuteReader();
            var inUse = new List<string>();
            while (reader.Read())
            {
                inUse.Add(reader.GetString(0));
            }

            list.AddRange(inUse.Where(v => !list.Contains(v, StringComparer.Ordinal)).ToList());
        }

        return list;
    }

    internal static async Task<Results<Ok<LookupList>, ValidationProblem, ProblemHttpResult>> Put(
        Caller caller, string kind, LookupValues body, WriteQueue writes, CancellationToken ct)
    {
        if (Fixed.ContainsKey(kind))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "This lookup list is fixed by the wire contract.");
        }

        if (!Defaults.ContainsKey(kind))
        {
            return Problems.NotFound("No such lookup list.");
        }

        var values = (body.Values ?? []).Select(v => v?.Trim() ?? "").ToList();
        if (values.Count > 500 || values.Any(v => v.Length is 0 or > 100 || !Messages.Validation.MessageValidator.IsAllowedText(v)) || values.Distinct(StringComparer.Ordinal).Count() != values.Count)
        {
            return Problems.Invalid("Values", "Values is invalid");
        }

        var name = Canonical(kind);
        await writes.RunAsync(scope =>
        {
            scope.Execute("DELETE FROM lookups WHERE agency_id = @agency AND kind = @kind", ("@agency", caller.AgencyId), ("@kind", name));
            for (var i = 0; i < values.Count; i++)
            {
                scope.Execute(
                    "INSERT INTO lookups (agency_id, kind, value, sort) VALUES (@agency, @kind, @value, @sort)",
                    ("@agency", caller.AgencyId), ("@kind", name), ("@value", values[i]), ("@sort", i));
            }

            return true;
        }, ct);
        return TypedResults.Ok(new LookupList(name, values));
    }

    private static string Canonical(string kind) =>
        Fixed.Keys.Concat(Defaults.Keys).First(k => string.Equals(k, kind, StringComparison.OrdinalIgnoreCase));

    private static IReadOnlyList<string> Allowed(Section section, string field) =>
        section.Fields.Single(f => f.Name == field).AllowedValues;
}
