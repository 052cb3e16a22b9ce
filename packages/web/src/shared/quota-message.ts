// What an upload refused for lack of space says (the page and the upload worker both show it): it
// names the Plans page, where more space is bought.
export const QUOTA_EXCEEDED_MESSAGE =
  'Not enough space left in your account: free some space, or get more on the Plans page.';
