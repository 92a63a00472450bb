// English, Polish and Russian (the seeds' languages). Numbers and dates go through Intl in the chosen locale.
export const LANGUAGES = { en: "English", pl: "Polski", ru: "Русский" };
const LOCALES = { en: "en-GB", pl: "pl-PL", ru: "ru-RU" };

const en = {
  title: "My loyalty", language: "Language", signIn: "Sign in", signOut: "Sign out", signedOut: "You are signed out.",
  signInHelp: "Open the sign-in link from the brand's app or e-mail, or sign in with the wallet you linked.",
  siwe: "Sign in with Ethereum", linkExpired: "This sign-in link is invalid or has expired. Ask for a new one.",
  home: "Home", rewards: "Rewards", collection: "Collection", wallet: "My wallet",
  balance: "Balance", available: "Available", pending: "Pending", reserved: "Reserved", onChain: "On chain", expiringSoon: "Expiring soon",
  expiresOn: "{amount} on {date}", nothingExpiring: "Nothing expires in the next 30 days.", pendingAvailableOn: "{amount} pending, available on {date}", pendingBecoming: "{amount} becoming available now",
  tier: "Tier", noTier: "No tier yet", nextTier: "{remaining} more to {next}", topTier: "You are at the top tier.",
  history: "Latest activity", noHistory: "No activity yet.", viewTx: "Transaction {hash}", points: "{n} points",
  sunsetting: "This program ends on {date}. No more points are earned; you can redeem until then. Move your points to your own wallet (the program pays the fees):", sunsetEnded: "This program has ended. Your points and collectibles stay yours on chain:",
  catalog: "Rewards for you", canAfford: "You can afford this", cannotAfford: "{n} more points needed", recommended: "Recommended", noRewards: "No rewards for you right now.", stockLeft: "{n} left", soldOut: "Sold out",
  limitReached: "You have redeemed this as often as allowed.",
  redeem: "Redeem {name}", yourCode: "Your code", codeQr: "QR code of your coupon code", redeemed: "Redeemed: {name}",
  offers: "Personal offers", noOffers: "No personal offers right now.", until: "until {date}",
  challenges: "Challenges", noChallenges: "No challenges right now.", step: "{name}: {done} of {required}", completed: "Completed",
  referral: "Invite friends", referralCode: "Your referral code", referred: "Friends who joined: {n}",
  donations: "Donate points", noCauses: "No causes right now.",
  collectibles: "Collectibles and badges", noCollectibles: "No collectibles yet.", soulbound: "Badge (cannot be transferred)", serial: "No. {n}",
  mintingNow: "On its way: {name}",
  walletKind: "Wallet", custodial: "Kept for you by the program", selfCustody: "Your own wallet", address: "Address",
  linkWallet: "Link my wallet", noProvider: "No browser wallet found. Install one to link your own wallet.", linked: "Wallet linked.",
  withdraw: "Withdraw to my wallet", withdrawScheduled: "Withdrawal accepted. For your safety nothing moves before {date}.",
  withdrawStaged: "Withdrawal on its way: {n} transfers.", verify: "Verify on chain", verified: "The chain says: {amount} points at {address}.",
  burnTitle: "Redeem from your own wallet", signBurn: "Sign the redemption", burnSigned: "Signed. The points are burnt on chain shortly.",
  blocked: "Your account is blocked: {reason}. Rewards cannot be redeemed until the brand lifts the block.", blockedNoReason: "no reason given", error: "Something went wrong: {message}", loading: "Loading…", close: "Close",
};
const pl = {
  title: "Mój program", language: "Język", signIn: "Zaloguj się", signOut: "Wyloguj się", signedOut: "Wylogowano.",
  signInHelp: "Otwórz link logowania z aplikacji lub e-maila marki albo zaloguj się połączonym portfelem.",
  siwe: "Zaloguj się przez Ethereum", linkExpired: "Ten link logowania jest nieważny lub wygasł. Poproś o nowy.",
  home: "Start", rewards: "Nagrody", collection: "Kolekcja", wallet: "Mój portfel",
  balance: "Saldo", available: "Dostępne", pending: "Oczekujące", reserved: "Zarezerwowane", onChain: "W łańcuchu", expiringSoon: "Wkrótce wygasną",
  expiresOn: "{amount} dnia {date}", nothingExpiring: "Nic nie wygasa w ciągu 30 dni.", pendingAvailableOn: "{amount} oczekuje, dostępne od {date}", pendingBecoming: "{amount} właśnie staje się dostępne",
  tier: "Poziom", noTier: "Brak poziomu", nextTier: "Jeszcze {remaining} do poziomu {next}", topTier: "Masz najwyższy poziom.",
  history: "Ostatnia aktywność", noHistory: "Brak aktywności.", viewTx: "Transakcja {hash}", points: "{n} pkt",
  sunsetting: "Program kończy się {date}. Nowe punkty nie są już naliczane; do tego dnia możesz je wymieniać. Przenieś punkty do własnego portfela (opłaty pokrywa program):", sunsetEnded: "Program się zakończył. Twoje punkty i kolekcja zostają Twoje w blockchainie:",
  catalog: "Nagrody dla Ciebie", canAfford: "Stać Cię na to", cannotAfford: "Brakuje {n} pkt", recommended: "Polecane", noRewards: "Brak nagród dla Ciebie.", stockLeft: "Zostało: {n}", soldOut: "Wyprzedane",
  limitReached: "Odebrano już tyle razy, ile można.",
  redeem: "Odbierz {name}", yourCode: "Twój kod", codeQr: "Kod QR Twojego kuponu", redeemed: "Odebrano: {name}",
  offers: "Oferty dla Ciebie", noOffers: "Brak ofert.", until: "do {date}",
  challenges: "Wyzwania", noChallenges: "Brak wyzwań.", step: "{name}: {done} z {required}", completed: "Ukończone",
  referral: "Zaproś znajomych", referralCode: "Twój kod polecający", referred: "Dołączyło znajomych: {n}",
  donations: "Przekaż punkty", noCauses: "Brak zbiórek.",
  collectibles: "Kolekcja i odznaki", noCollectibles: "Brak kolekcji.", soulbound: "Odznaka (nie można jej przekazać)", serial: "Nr {n}",
  mintingNow: "W drodze: {name}",
  walletKind: "Portfel", custodial: "Przechowywany przez program", selfCustody: "Twój własny portfel", address: "Adres",
  linkWallet: "Połącz mój portfel", noProvider: "Nie znaleziono portfela w przeglądarce.", linked: "Portfel połączony.",
  withdraw: "Wypłać do mojego portfela", withdrawScheduled: "Wypłata przyjęta. Dla bezpieczeństwa nic nie zostanie przesłane przed {date}.",
  withdrawStaged: "Wypłata w drodze: {n} przelewów.", verify: "Sprawdź w łańcuchu", verified: "Łańcuch podaje: {amount} pkt na {address}.",
  burnTitle: "Odbierz z własnego portfela", signBurn: "Podpisz odbiór", burnSigned: "Podpisano. Punkty zostaną wkrótce spalone w łańcuchu.",
  blocked: "Twoje konto jest zablokowane: {reason}. Nagród nie można odbierać, dopóki marka nie zdejmie blokady.", blockedNoReason: "bez podanego powodu", error: "Coś poszło nie tak: {message}", loading: "Ładowanie…", close: "Zamknij",
};
const ru = {
  title: "Моя программа", language: "Язык", signIn: "Войти", signOut: "Выйти", signedOut: "Вы вышли.",
  signInHelp: "Откройте ссылку для входа из приложения или письма бренда либо войдите привязанным кошельком.",
  siwe: "Войти через Ethereum", linkExpired: "Ссылка для входа недействительна или устарела. Запросите новую.",
  home: "Главная", rewards: "Награды", collection: "Коллекция", wallet: "Мой кошелёк",
  balance: "Баланс", available: "Доступно", pending: "Ожидает", reserved: "Зарезервировано", onChain: "В блокчейне", expiringSoon: "Скоро сгорят",
  expiresOn: "{amount} — {date}", nothingExpiring: "В ближайшие 30 дней ничего не сгорит.", pendingAvailableOn: "{amount} ожидает, доступно с {date}", pendingBecoming: "{amount} становится доступно прямо сейчас",
  tier: "Уровень", noTier: "Уровня пока нет", nextTier: "Ещё {remaining} до уровня {next}", topTier: "У вас высший уровень.",
  history: "Последние операции", noHistory: "Операций пока нет.", viewTx: "Транзакция {hash}", points: "{n} баллов",
  sunsetting: "Программа завершается {date}. Новые баллы больше не начисляются; обменять их можно до этой даты. Переведите баллы в свой кошелёк (комиссию платит программа):", sunsetEnded: "Программа завершена. Ваши баллы и коллекция остаются вашими в блокчейне:",
  catalog: "Награды для вас", canAfford: "Вам хватает баллов", cannotAfford: "Не хватает {n} баллов", recommended: "Рекомендуем", noRewards: "Наград для вас пока нет.", stockLeft: "Осталось: {n}", soldOut: "Нет в наличии",
  limitReached: "Вы уже получили эту награду максимальное число раз.",
  redeem: "Получить {name}", yourCode: "Ваш код", codeQr: "QR-код вашего купона", redeemed: "Получено: {name}",
  offers: "Персональные предложения", noOffers: "Предложений пока нет.", until: "до {date}",
  challenges: "Задания", noChallenges: "Заданий пока нет.", step: "{name}: {done} из {required}", completed: "Выполнено",
  referral: "Пригласите друзей", referralCode: "Ваш код приглашения", referred: "Присоединилось друзей: {n}",
  donations: "Пожертвовать баллы", noCauses: "Сборов пока нет.",
  collectibles: "Коллекция и значки", noCollectibles: "Коллекции пока нет.", soulbound: "Значок (нельзя передать)", serial: "№ {n}",
  mintingNow: "В пути: {name}",
  walletKind: "Кошелёк", custodial: "Хранится программой", selfCustody: "Ваш собственный кошелёк", address: "Адрес",
  linkWallet: "Привязать мой кошелёк", noProvider: "Кошелёк в браузере не найден.", linked: "Кошелёк привязан.",
  withdraw: "Вывести в мой кошелёк", withdrawScheduled: "Вывод принят. Для безопасности ничего не будет отправлено до {date}.",
  withdrawStaged: "Вывод в пути: переводов {n}.", verify: "Проверить в блокчейне", verified: "Блокчейн показывает: {amount} баллов на {address}.",
  burnTitle: "Получить награду из своего кошелька", signBurn: "Подписать получение", burnSigned: "Подписано. Баллы скоро будут сожжены в блокчейне.",
  blocked: "Ваш аккаунт заблокирован: {reason}. Получать награды нельзя, пока бренд не снимет блокировку.", blockedNoReason: "причина не указана", error: "Что-то пошло не так: {message}", loading: "Загрузка…", close: "Закрыть",
};
const DICTS = { en, pl, ru };

export function pickLanguage() {
  const saved = localStorage.getItem("lc.lang"); // a preference, not a credential
  if (saved && DICTS[saved]) return saved;
  const nav = (navigator.language || "en").slice(0, 2);
  return DICTS[nav] ? nav : "en";
}

export function translator(lang) {
  const dict = DICTS[lang] || en;
  const locale = LOCALES[lang] || "en-GB";
  const numbers = new Intl.NumberFormat(locale);
  const dates = new Intl.DateTimeFormat(locale, { dateStyle: "medium" });
  const dateTimes = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  const t = (key, values = {}) =>
    (dict[key] ?? en[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => (values[name] ?? "").toString());
  // Points are decimal strings (they may exceed 2^53): format through BigInt, never through a float.
  t.n = (value) => {
    try { return numbers.format(BigInt(value ?? "0")); } catch { return String(value); }
  };
  t.date = (value) => (value ? dates.format(new Date(value)) : "");
  t.dateTime = (value) => (value ? dateTimes.format(new Date(value)) : "");
  t.lang = lang;
  t.locale = locale;
  return t;
}
