using Caseline.Messages;
using Caseline.Server.Audit;
using Caseline.Server.Lookups;
using Caseline.Server.Sync;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Clients;

/// <summary>
/// A new client: its identifier (assigned when left blank) and its own sections, built into the body <c>PUT /clients/{id}</c>
/// takes and saved through the same operation, so it is validated and emits exactly what the API would. An identifier the agency already has is refused.
/// </summary>
[Audited]
internal sealed class NewClientModel(ClientOperations clients, LookupOperations lookups) : WebPage
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
            Groups.Add((section, SectionForm.From(section, null, lookups, Caller.AgencyId, withIdentifier: false).Fields));
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
            while (clients.Exists(Caller, id));
        }

        if (ClientOperations.IdErrors("IntegrationId", id) is { } invalid)
        {
            Errors = Display.Worded(invalid);
        }
        else if (clients.Exists(Caller, id))
        {
            Errors["IntegrationId"] = ["The agency already has a client with this identifier"];
        }
        else
        {
            var saved = await clients.ReplaceAsync(Caller, id, SectionForm.ClientBody(Sections, form), AuditEntry.Of(HttpContext), ct);
            if (saved is SaveClientResult.Invalid refused)
            {
                Errors = Display.Worded(refused.Errors);
            }
            else
            {
                Notify($"Client {id} added.");
                return Redirect($"/ui/clients/{Uri.EscapeDataString(id)}");
            }
        }

        Identifier = IdentifierField(form["IntegrationId"].ToString());
        foreach (var section in Sections)
        {
            Groups.Add((section, SectionForm.Posted(section, form, 0, Errors, lookups, Caller.AgencyId, withIdentifier: false).Fields));
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
