using Caseline.Server.Http;
using Caseline.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Caseline.Server.Lookups;

/// <summary>A lookup list.</summary>
internal sealed record LookupList(string Kind, IReadOnlyList<string> Values);

/// <summary>A lookup list to store for the caller's agency.</summary>
internal sealed record LookupValues(IReadOnlyList<string>? Values);

/// <summary>The lookups API: the lists for any caller of the agency, changes for its administrators.</summary>
internal static class LookupsApi
{
    public static IServiceCollection AddLookups(this IServiceCollection services) => services.AddSingleton<LookupOperations>();

    public static RouteGroupBuilder MapLookups(this RouteGroupBuilder api)
    {
        var lookups = api.MapGroup("/lookups").WithTags("Lookups");
        lookups.MapGet("/{kind}", Get).WithSummary("A lookup list")
            .WithDescription("Kinds: addressTypes, contactTypes, genders, ethnicities, timeZones, staticRiskRatings, needsClassifications, offenseCategories, caseloads, officers.");
        lookups.MapPut("/{kind}", Put).RequireAuthorization(Policies.AgencyAdministration).WithSummary("Replace an agency-configurable lookup list")
            .WithDescription("Every kind but addressTypes, contactTypes and timeZones, which the wire contract fixes.");
        return api;
    }

    private static Results<Ok<LookupList>, ProblemHttpResult> Get(Caller caller, string kind, LookupOperations lookups) =>
        lookups.Find(caller.AgencyId, kind) is { } list ? TypedResults.Ok(list) : Problems.NotFound(LookupMessages.NoSuchList);

    private static async Task<Results<Ok<LookupList>, ValidationProblem, ProblemHttpResult>> Put(
        Caller caller, string kind, LookupValues body, LookupOperations lookups, CancellationToken ct) =>
        await lookups.SaveAsync(caller, kind, body.Values, ct) switch
        {
            SaveLookupResult.Saved saved => TypedResults.Ok(saved.List),
            SaveLookupResult.Invalid invalid => Problems.Invalid(invalid.Errors),
            SaveLookupResult.Fixed => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: LookupMessages.Fixed),
            _ => Problems.NotFound(LookupMessages.NoSuchList),
        };
}

/// <summary>How the lookups' refusals are worded, in the API and on the page alike.</summary>
internal static class LookupMessages
{
    public const string NoSuchList = "No such lookup list.";
    public const string Fixed = "This lookup list is fixed by the wire contract.";
}
