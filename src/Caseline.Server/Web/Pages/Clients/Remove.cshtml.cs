using Caseline.Server.Audit;
using Caseline.Server.Sync;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Clients;

/// <summary>Removing an item, after a confirmation page; it emits the item's <c>Removed</c> message as the API's DELETE does.</summary>
[Audited]
internal sealed class RemoveModel(ClientOperations clients) : WebPage
{
    public SectionState? Item { get; private set; }

    public string ClientLabel { get; private set; } = "";

    public string ProfilePath { get; private set; } = "";

    public IActionResult OnGet(string clientId, string section, string itemId) => Find(clientId, section, itemId) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(string clientId, string section, string itemId, CancellationToken ct)
    {
        if (!Find(clientId, section, itemId))
        {
            return NotFound();
        }

        if (await clients.RemoveItemAsync(Caller, Item!.Section, clientId, itemId, AuditEntry.Of(HttpContext), ct) is not RemoveItemResult.Removed)
        {
            return NotFound();
        }

        Notify($"{char.ToUpperInvariant(Display.ItemNoun(Item.Section)[0])}{Display.ItemNoun(Item.Section)[1..]} {itemId} removed.");
        return Redirect(ProfilePath);
    }

    private bool Find(string clientId, string slug, string itemId)
    {
        var kind = Display.FromSlug(slug);
        var client = kind is { IsCollection: true } && clients.History(Caller, clientId) is { } history ? ClientPage.Of(history) : null;
        Item = client?.Items(kind!).FirstOrDefault(i => i.ItemId == itemId);
        ClientLabel = client is { Name.Length: > 0 } ? client.Name : clientId;
        ProfilePath = $"/ui/clients/{Uri.EscapeDataString(clientId)}";
        return Item is not null;
    }
}
