using System.Text.Json;
using Caseline.Messages;
using Caseline.Server.Audit;
using Caseline.Server.Lookups;
using Caseline.Server.Sync;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Clients;

/// <summary>
/// Changing a section or an item, or adding an item. The form becomes the body the Sync API takes and goes through the
/// API's own operations (<see cref="ClientOperations"/>), so an officer's change is validated with the same messages and emits exactly the same messages
/// (<c>UpdatedBy</c> is the officer's login). On an error nothing is stored and the form comes back with the messages.
/// </summary>
[Audited]
internal abstract class SectionFormPage(ClientOperations clients, LookupOperations lookups) : WebPage
{
    public Section Section { get; private set; } = Section.PersonalDetails;

    public string ClientId { get; private set; } = "";

    public string ClientName { get; private set; } = "";

    /// <summary>The item changed, or null for a client's own section or a new item.</summary>
    public string? ItemId { get; private set; }

    public abstract bool IsNew { get; }

    public List<FormField> Fields { get; private set; } = [];

    public List<List<FormField>> Rows { get; private set; } = [];

    public Dictionary<string, string[]> Errors { get; private set; } = [];

    /// <summary>The offense rows ticked "Remove" in what was posted.</summary>
    public IReadOnlySet<int> Removing { get; private set; } = new HashSet<int>();

    public string ProfilePath => $"/ui/clients/{Uri.EscapeDataString(ClientId)}";

    protected IActionResult Show(string clientId, string slug, string? itemId)
    {
        if (Load(clientId, slug, itemId) is not { } client)
        {
            return NotFound();
        }

        JsonElement? details = null;
        if (itemId is not null || !Section.IsCollection)
        {
            details = (itemId is null ? client.Own(Section) : client.Items(Section).FirstOrDefault(i => i.ItemId == itemId))?.Details;
            if (details is null && itemId is not null)
            {
                return NotFound();
            }
        }

        (Fields, Rows) = SectionForm.From(Section, details, lookups, Caller.AgencyId, withIdentifier: IsNew);
        return Page();
    }

    /// <summary>The page's result once the form is built; a court case's identifier says it defaults to the case number.</summary>
    public override void OnPageHandlerExecuted(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutedContext context)
    {
        if (Section == Section.CaseDetails)
        {
            Fields = [.. Fields.Select(f => f.Spec.Kind == FieldKind.Identifier
                ? f with { Hint = "Leave it blank to use the case number; or letters, digits and - _ . : ~" }
                : f)];
        }
    }

    protected async Task<IActionResult> SaveAsync(string clientId, string slug, string? itemId, CancellationToken ct)
    {
        if (Load(clientId, slug, itemId) is not { } client)
        {
            return NotFound();
        }

        var form = Request.Form;
        var rows = Math.Clamp(int.TryParse(form["rows"], out var posted) ? posted : 0, 0, SectionForm.MaxRows(Section));
        Removing = Enumerable.Range(0, rows).Where(row => SectionForm.Removed(form, Section, row)).ToHashSet();
        if (form["add"] == "row" && rows < SectionForm.MaxRows(Section))
        {
            // Another empty offense row: nothing is saved until the form is sent with Save.
            (Fields, Rows) = SectionForm.Posted(Section, form, rows + 1, Errors, lookups, Caller.AgencyId, withIdentifier: IsNew);
            return Page();
        }

        var body = SectionForm.Body(Section, form, rows, out var rowOf);
        var audit = AuditEntry.Of(HttpContext);
        string saved;
        if (!Section.IsCollection)
        {
            if (await clients.ReplaceAsync(Caller, clientId, body, audit, ct) is SaveClientResult.Invalid invalid)
            {
                Errors = Display.Worded(SectionForm.ByFormRow(Section, invalid.Errors, rowOf));
            }

            saved = $"{Display.Title(Section)} details saved.";
        }
        else
        {
            var id = IsNew ? form["IntegrationId"].ToString().Trim() : itemId!;
            if (IsNew && id.Length == 0)
            {
                // The officer cannot know an identifier the CMS never gave: the server assigns one.
                id = AssignedId(client, form);
            }

            if (IsNew && NewItemErrors(client, id) is { } invalid)
            {
                Errors = Display.Worded(invalid);
            }
            else
            {
                switch (await clients.PutItemAsync(Caller, Section, clientId, id, body, audit, ct))
                {
                    case PutItemResult.ClientNotFound:
                        return NotFound();
                    case PutItemResult.Invalid refused:
                        Errors = Display.Worded(SectionForm.ByFormRow(Section, refused.Errors, rowOf));
                        break;
                }
            }

            saved = $"{Capitalised(Display.ItemNoun(Section))} {id} {(IsNew ? "added" : "saved")}."
                + (Removing.Count == 0 ? "" : $" Removed: {string.Join(", ", Removing.Select(r => $"offense {r + 1}"))}.");
        }

        if (Errors.Count > 0)
        {
            (Fields, Rows) = SectionForm.Posted(Section, form, rows, Errors, lookups, Caller.AgencyId, withIdentifier: IsNew);
            return Page();
        }

        Notify(saved);
        return Redirect(ProfilePath);
    }

    public string Heading => IsNew
        ? $"Add {Display.WithArticle(Display.ItemNoun(Section))}"
        : ItemId is null ? $"Change {Display.Title(Section).ToLowerInvariant()} details" : $"Change {Display.ItemNoun(Section)} {ItemId}";

    /// <summary>The errors in the order of the form, for the summary at the top; those of no field come first.</summary>
    public IEnumerable<(string? FieldId, string Message)> Summary()
    {
        var keys = Fields.Concat(Rows.SelectMany(r => r)).ToDictionary(f => f.Key, f => f.Id, StringComparer.Ordinal);
        foreach (var (key, messages) in Errors.Where(e => !keys.ContainsKey(e.Key)))
        {
            foreach (var message in messages)
            {
                yield return (Fields.FirstOrDefault()?.Id, message);
            }
        }

        foreach (var field in Fields.Where(f => f.Errors is not null))
        {
            foreach (var message in field.Errors!)
            {
                yield return (field.Id, message);
            }
        }

        // A row's message names its row: "Label is required" alone would not say which offense.
        for (var row = 0; row < Rows.Count; row++)
        {
            foreach (var field in Rows[row].Where(f => f.Errors is not null))
            {
                foreach (var message in field.Errors!)
                {
                    yield return (field.Id, $"Offense {row + 1}: {message}");
                }
            }
        }
    }

    private ClientPage? Load(string clientId, string slug, string? itemId)
    {
        var section = Display.FromSlug(slug);
        if (section is null || (itemId is not null && !section.IsCollection) || (IsNew && !section.IsCollection))
        {
            return null;
        }

        var client = clients.History(Caller, clientId) is { } history ? ClientPage.Of(history) : null;
        (Section, ClientId, ItemId, ClientName) = (section, clientId, itemId, client?.Name ?? "");
        return client;
    }

    private Dictionary<string, string[]>? NewItemErrors(ClientPage client, string id)
    {
        if (ClientOperations.IdErrors("IntegrationId", id) is { } invalid)
        {
            return invalid;
        }

        return client.Items(Section).Any(i => i.ItemId == id)
            ? new(StringComparer.Ordinal) { ["IntegrationId"] = [$"The client already has {Display.WithArticle(Display.ItemNoun(Section))} with this identifier"] }
            : null;
    }

    /// <summary>
    /// An identifier for a new item: a case's number when it is a free identifier (as the contract has it), otherwise the
    /// item's noun and eight random hex digits, drawn again in the unlikely case the client already has it.
    /// </summary>
    private string AssignedId(ClientPage client, IFormCollection form)
    {
        var taken = client.Items(Section).Select(i => i.ItemId).ToHashSet(StringComparer.Ordinal);
        if (Section == Section.CaseDetails && form["CaseNumber"].ToString().Trim() is { Length: > 0 } number
            && ClientOperations.IdErrors("IntegrationId", number) is null && !taken.Contains(number))
        {
            return number;
        }

        string id;
        do
        {
            id = $"{Display.ItemNoun(Section).Replace(' ', '-')}-{System.Security.Cryptography.RandomNumberGenerator.GetHexString(8, lowercase: true)}";
        }
        while (taken.Contains(id));
        return id;
    }

    private static string Capitalised(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}

/// <summary>Changing a client's own section or one of its items.</summary>
internal sealed class EditModel(ClientOperations clients, LookupOperations lookups) : SectionFormPage(clients, lookups)
{
    public override bool IsNew => false;

    public IActionResult OnGet(string clientId, string section, string? itemId) => Show(clientId, section, itemId);

    public Task<IActionResult> OnPostAsync(string clientId, string section, string? itemId, CancellationToken ct) => SaveAsync(clientId, section, itemId, ct);
}

/// <summary>Adding an item to one of a client's collections.</summary>
internal sealed class AddModel(ClientOperations clients, LookupOperations lookups) : SectionFormPage(clients, lookups)
{
    public override bool IsNew => true;

    public IActionResult OnGet(string clientId, string section) => Show(clientId, section, null);

    public Task<IActionResult> OnPostAsync(string clientId, string section, CancellationToken ct) => SaveAsync(clientId, section, null, ct);
}
