using System.Text.Json;
using System.Text.Json.Nodes;
using Caseline.Messages;
using Caseline.Server.Audit;
using Caseline.Server.Storage;
using Caseline.Server.Sync;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Clients;

/// <summary>
/// A new client: its identifier (assigned when left blank) and its own sections, sent as the body <c>PUT /clients/{id}</c>
/// takes, so it is validated and emits exactly what the API would. An identifier the agency already has is refused.
/// </summary>
[Audited]
internal sealed class NewClientModel(WebQueries queries, Database database, WriteQueue writes, TimeProvider clock) : WebPage
{
    public static readonly Section[] Sections = [Section.PersonalDetails, Section.AccountDetails, Section.EmailDetails];

    private static readonly FieldSpec IdentifierSpec = Section.AddressDetails.Fields.First(f => f.Kind == FieldKind.Identifier);

    public FormField Identifier { get; private set; } = null!;

    public List<(Section Section, List<FormField> Fields)> Groups { get; } = [];

    public Dictionary<string, string[]> Errors { get; private set; } = [];

    public void OnGet()
    {
        Identifier = IdentifierField(null);
        foreach (var section in Sections)
        {
            Groups.Add((section, SectionForm.From(section, null, database, Caller.AgencyId, withIdentifier: false).Fields));
        }
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var form = Request.Form;
        var id = form["IntegrationId"].ToString().Trim();
        if (id.Length == 0)
        {
            do
            {
                id = "client-" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(8, lowercase: true);
            }
            while (queries.Client(Caller.AgencyId, id) is not null);
        }

        if (ClientsApi.InvalidId("IntegrationId", id) is { } invalid)
        {
            Errors = Display.Worded(invalid.ProblemDetails.Errors.AsReadOnly());
        }
        else if (queries.Client(Caller.AgencyId, id) is not null)
        {
            Errors["IntegrationId"] = ["The agency already has a client with this identifier"];
        }
        else
        {
            // Personal details always go (names are required); another section only when one of its fields is given.
            var body = new JsonObject();
            foreach (var section in Sections)
            {
                var part = SectionForm.Body(section, form, 0, withIdentifier: false, out _);
                if (section == Section.PersonalDetails || part.Any(p => p.Value is not null))
                {
                    foreach (var (name, value) in part.ToList())
                    {
                        part.Remove(name);
                        body[name] = value;
                    }
                }
            }

            using var document = JsonDocument.Parse(body.ToJsonString());
            var (_, errors) = await ClientsApi.ReplaceAsync(Caller, id, document.RootElement, AuditEntry.Of(HttpContext), writes, clock, ct);
            if (errors is null or { Count: 0 })
            {
                Notify($"Client {id} added.");
                return Redirect($"/ui/clients/{Uri.EscapeDataString(id)}");
            }

            Errors = Display.Worded(errors);
        }

        Identifier = IdentifierField(form["IntegrationId"].ToString());
        foreach (var section in Sections)
        {
            Groups.Add((section, SectionForm.Posted(section, form, 0, Errors, database, Caller.AgencyId, withIdentifier: false).Fields));
        }

        return Page();
    }

    /// <summary>The errors in the order of the form, for the summary at the top.</summary>
    public IEnumerable<(string FieldId, string Message)> Summary() =>
        new[] { Identifier }.Concat(Groups.SelectMany(g => g.Fields)).Where(f => f.Errors is not null).SelectMany(f => f.Errors!.Select(m => (f.Id, m)));

    private FormField IdentifierField(string? value) =>
        new("IntegrationId", IdentifierSpec, value, Errors.GetValueOrDefault("IntegrationId"), null, null)
        {
            Hint = "Leave it blank and one is assigned; or the case management system's identifier (letters, digits and - _ . : ~)",
        };
}
