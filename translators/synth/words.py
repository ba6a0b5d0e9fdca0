"""Vocabulary for synthetic screens (short, everyday UI strings)."""

SCREENS = ["Login", "Home", "Settings", "Profile", "Inbox", "Search", "Cart", "Orders", "Wallet", "Activity",
           "Onboarding", "Checkout", "Notifications", "Library", "Explore"]
TITLES = ["Welcome back", "Your orders", "Good morning", "Account", "Recent activity", "Messages", "Saved items",
          "Payment", "Get started", "Today", "Favorites", "Discover", "New arrivals", "Your plan"]
SUBTITLES = ["Sign in to continue", "Everything in one place", "3 new updates", "Last synced 2 min ago",
             "Manage your preferences", "Track every delivery", "Free shipping over $50", "Tap to see details"]
BUTTONS = ["Continue", "Sign in", "Save", "Get started", "Add to cart", "Next", "Done", "Try again", "Share",
           "Follow", "Buy now", "Send", "Confirm", "Edit"]
INPUTS = [("email", "you@example.com"), ("password", "Password"), ("search", "Search"), ("text", "Full name"),
          ("tel", "Phone number"), ("text", "City"), ("number", "Amount")]
TOGGLES = ["Remember me", "Dark mode", "Notifications", "Auto-play videos", "Show balance", "Email updates"]
ICONS = ["search", "bell", "home", "user", "heart", "star", "plus", "settings", "arrow-left", "chevron-right",
         "mail", "lock", "more", "share", "close", "menu"]
IMAGES = ["Avatar", "Photo", "Banner", "Cover", "Thumbnail", "Logo"]
NAMES = ["Maya Chen", "Leo Park", "Ana Souza", "Sam Rivera", "Priya Raman", "Jonas Berg", "Aiko Tan", "Omar Haddad",
         "Lena Vogel", "Diego Cruz"]
DETAILS = ["5 min ago", "Yesterday", "$24.00", "2 items", "Delivered", "In transit", "12 likes", "Online",
           "$108.50", "Mon, 9:30", "4.8 rating", "Paid"]
ROLES = {"column": ["Content", "Section", "Card", "Form", "Body", "Details", "Info"],
         "row": ["Header", "Toolbar", "Actions", "Item", "Footer", "Meta", "Top bar"]}
