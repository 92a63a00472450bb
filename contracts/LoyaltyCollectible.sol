// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @dev ERC-5192: minimal soulbound NFTs.
interface IERC5192 {
    event Locked(uint256 tokenId);
    event Unlocked(uint256 tokenId);

    function locked(uint256 tokenId) external view returns (bool);
}

/**
 * @title LoyaltyCollectible
 * @notice Collectible drops and soulbound badges of one loyalty program as ERC-721 tokens.
 * @dev A token id encodes its drop: `tokenId = dropId << 64 | serial` (serial from 1), so minting needs
 * no extra storage per token to find its drop. Tokens of a soulbound drop implement ERC-5192 and can
 * never be transferred. Custodial holders' tokens move only with the holder's EIP-712 signature,
 * relayed by the operator.
 */
contract LoyaltyCollectible is ERC721, AccessControl, Pausable, ReentrancyGuard, EIP712, Nonces, IERC5192 {
    using Strings for uint256;

    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant DROP_ADMIN_ROLE = keccak256("DROP_ADMIN_ROLE");
    bytes32 public constant CLAIM_SIGNER_ROLE = keccak256("CLAIM_SIGNER_ROLE");

    bytes32 public constant CLAIM_TYPEHASH =
        keccak256("Claim(address recipient,uint256 dropId,uint256 nonce,uint256 deadline)");
    bytes32 public constant TRANSFER_TYPEHASH =
        keccak256("Transfer(address from,address to,uint256 tokenId,uint256 nonce,uint256 deadline)");

    uint256 private constant _SERIAL_BITS = 64;
    uint256 private constant _SERIAL_MASK = (1 << _SERIAL_BITS) - 1;

    /// @dev `start`/`end` are unix seconds; 0 means open on that side. Packed into two slots plus the URI.
    struct Drop {
        uint64 maxSupply;
        uint64 minted;
        uint40 start;
        uint40 end;
        bool soulbound;
        bool exists;
        string baseURI;
    }

    uint256 private _dropCount;
    mapping(uint256 dropId => Drop) private _drops;
    mapping(uint256 nonce => bool) private _usedClaimNonces;

    /// @dev The drop does not exist.
    error LoyaltyCollectibleUnknownDrop(uint256 dropId);
    /// @dev A drop needs a max supply above zero and a window whose end is after its start.
    error LoyaltyCollectibleInvalidDrop();
    /// @dev Minting `requested` more would pass the drop's max supply.
    error LoyaltyCollectibleMaxSupplyExceeded(uint256 dropId, uint256 requested, uint256 remaining);
    /// @dev The drop's mint window is not open at this block's timestamp.
    error LoyaltyCollectibleMintWindowClosed(uint256 dropId);
    /// @dev A batch call carried no recipients.
    error LoyaltyCollectibleEmptyBatch();
    /// @dev Tokens of a soulbound drop cannot move.
    error LoyaltyCollectibleSoulbound(uint256 tokenId);
    /// @dev The voucher's or transfer's deadline has passed.
    error LoyaltyCollectibleExpiredSignature(uint256 deadline);
    /// @dev The claim voucher was already used.
    error LoyaltyCollectibleVoucherUsed(uint256 nonce);
    /// @dev The signature does not recover to an authorised signer (wrong key, chain, contract or payload).
    error LoyaltyCollectibleInvalidSigner(address signer);
    /// @dev The nonce is not the holder's next nonce.
    error LoyaltyCollectibleInvalidNonce(address owner, uint256 nonce);

    /// @dev A drop was created.
    event DropCreated(uint256 indexed dropId, uint64 maxSupply, bool soulbound, uint40 start, uint40 end, string baseURI);
    /// @dev A drop's metadata base URI changed (ERC-4906 listeners refresh the range).
    event DropBaseURIChanged(uint256 indexed dropId, string baseURI);
    /// @dev ERC-4906: metadata of a range of tokens changed.
    event BatchMetadataUpdate(uint256 _fromTokenId, uint256 _toTokenId);
    /// @dev A claim voucher was redeemed.
    event VoucherClaimed(uint256 indexed dropId, address indexed recipient, uint256 nonce, uint256 tokenId);

    constructor(string memory name_, string memory symbol_, address admin) ERC721(name_, symbol_) EIP712(name_, "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /**
     * @dev Creates a drop and returns its id (ids start at 1).
     *
     * Requirements:
     * - the caller has DROP_ADMIN_ROLE;
     * - `maxSupply` > 0; when both are set, `end` > `start`.
     *
     * Emits a {DropCreated} event.
     */
    function createDrop(uint64 maxSupply, string calldata baseURI, bool soulbound, uint40 start, uint40 end)
        external
        onlyRole(DROP_ADMIN_ROLE)
        returns (uint256 dropId)
    {
        if (maxSupply == 0 || (end != 0 && end <= start)) revert LoyaltyCollectibleInvalidDrop();
        dropId = ++_dropCount;
        _drops[dropId] = Drop({
            maxSupply: maxSupply,
            minted: 0,
            start: start,
            end: end,
            soulbound: soulbound,
            exists: true,
            baseURI: baseURI
        });
        emit DropCreated(dropId, maxSupply, soulbound, start, end, baseURI);
    }

    /**
     * @dev Changes a drop's metadata base URI.
     *
     * Requirements: the caller has DROP_ADMIN_ROLE; the drop exists.
     *
     * Emits {DropBaseURIChanged} and {BatchMetadataUpdate} for the drop's whole id range.
     */
    function setDropBaseURI(uint256 dropId, string calldata baseURI) external onlyRole(DROP_ADMIN_ROLE) {
        Drop storage drop = _existingDrop(dropId);
        drop.baseURI = baseURI;
        emit DropBaseURIChanged(dropId, baseURI);
        emit BatchMetadataUpdate(dropId << _SERIAL_BITS | 1, dropId << _SERIAL_BITS | _SERIAL_MASK);
    }

    /**
     * @dev Mints one token of drop `dropId` to each of `to`. Uses `_mint`, not `_safeMint`: the minter
     * sends to custodial EOAs and to wallets whose owners proved control, and skipping the receiver
     * call keeps a distinct-holder mint under 50k gas. The supply counter is written before any token
     * is minted, so even a callback could not mint past max supply.
     *
     * Requirements:
     * - the caller has MINTER_ROLE; the contract is not paused; `to` is not empty;
     * - the drop exists, its window is open and `to.length` fits in its remaining supply;
     * - no recipient is the zero address.
     *
     * Emits a {Transfer} per token, and {Locked} per token of a soulbound drop.
     */
    function mintBatch(uint256 dropId, address[] calldata to) external onlyRole(MINTER_ROLE) nonReentrant {
        uint256 n = to.length;
        if (n == 0) revert LoyaltyCollectibleEmptyBatch();
        (uint256 firstSerial, bool soulbound) = _reserve(dropId, n);
        uint256 base = dropId << _SERIAL_BITS;
        for (uint256 i = 0; i < n; ++i) {
            uint256 tokenId = base | (firstSerial + i);
            _mint(to[i], tokenId);
            if (soulbound) emit Locked(tokenId);
        }
    }

    /**
     * @dev Mints one token of `dropId` to `recipient` with a voucher signed by a CLAIM_SIGNER_ROLE key.
     * Callable by the recipient (self-custody) or by the operator relaying it. Each voucher nonce works once.
     *
     * Requirements:
     * - `deadline` has not passed; `nonce` was never used;
     * - `signature` recovers to a CLAIM_SIGNER_ROLE holder under this chain's and contract's domain;
     * - the drop's window is open and it has supply left; the contract is not paused;
     * - a contract recipient accepts the token ({IERC721Receiver}).
     *
     * Emits {VoucherClaimed}, {Transfer} and, for a soulbound drop, {Locked}.
     */
    function claim(address recipient, uint256 dropId, uint256 nonce, uint256 deadline, bytes calldata signature)
        external
        nonReentrant
        returns (uint256 tokenId)
    {
        if (block.timestamp > deadline) revert LoyaltyCollectibleExpiredSignature(deadline);
        if (_usedClaimNonces[nonce]) revert LoyaltyCollectibleVoucherUsed(nonce);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(CLAIM_TYPEHASH, recipient, dropId, nonce, deadline)));
        (address signer,,) = ECDSA.tryRecover(digest, signature);
        if (signer == address(0) || !hasRole(CLAIM_SIGNER_ROLE, signer)) revert LoyaltyCollectibleInvalidSigner(signer);

        // Effects before the receiver callback in _safeMint: voucher spent and supply reserved.
        _usedClaimNonces[nonce] = true;
        (uint256 serial, bool soulbound) = _reserve(dropId, 1);
        tokenId = dropId << _SERIAL_BITS | serial;
        emit VoucherClaimed(dropId, recipient, nonce, tokenId);
        _safeMint(recipient, tokenId);
        if (soulbound) emit Locked(tokenId);
    }

    /**
     * @dev Transfers `tokenId` from `from` to `to`, authorised by `from`'s EIP-712 `Transfer` signature
     * and relayed by anyone (normally the operator, so custodial members need no gas).
     *
     * Requirements:
     * - `deadline` has not passed; `nonce` is `from`'s next nonce; the signature recovers to `from`;
     * - `from` owns `tokenId`; the token is not soulbound; the contract is not paused.
     *
     * Emits a {Transfer} event.
     */
    function transferWithSignature(
        address from,
        address to,
        uint256 tokenId,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        if (block.timestamp > deadline) revert LoyaltyCollectibleExpiredSignature(deadline);
        if (nonce != nonces(from)) revert LoyaltyCollectibleInvalidNonce(from, nonce);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(TRANSFER_TYPEHASH, from, to, tokenId, nonce, deadline)));
        (address signer,,) = ECDSA.tryRecover(digest, signature);
        if (signer != from || signer == address(0)) revert LoyaltyCollectibleInvalidSigner(signer);
        _useNonce(from);
        _transfer(from, to, tokenId);
    }

    /// @dev Requirements: the caller has PAUSER_ROLE. Stops mints, claims and transfers.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @dev Requirements: the caller has PAUSER_ROLE.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @notice Whether a claim voucher nonce has been used.
    function isVoucherUsed(uint256 nonce) external view returns (bool) {
        return _usedClaimNonces[nonce];
    }

    /// @notice The drop's settings and how many of it were minted.
    function getDrop(uint256 dropId)
        external
        view
        returns (uint64 maxSupply, uint64 minted, uint40 start, uint40 end, bool soulbound, string memory baseURI)
    {
        Drop storage d = _existingDrop(dropId);
        return (d.maxSupply, d.minted, d.start, d.end, d.soulbound, d.baseURI);
    }

    /// @notice Number of drops created; drop ids run from 1 to this.
    function dropCount() external view returns (uint256) {
        return _dropCount;
    }

    /// @notice The drop a token belongs to.
    function dropOf(uint256 tokenId) public pure returns (uint256) {
        return tokenId >> _SERIAL_BITS;
    }

    /// @inheritdoc IERC5192
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return _drops[dropOf(tokenId)].soulbound;
    }

    /// @dev The drop's base URI followed by the decimal token id.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        string memory base = _drops[dropOf(tokenId)].baseURI;
        return bytes(base).length == 0 ? "" : string.concat(base, tokenId.toString());
    }

    /// @dev ERC-5192 (0xb45a3c0e) and ERC-4906 (0x49064906) on top of ERC-721 and AccessControl.
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, AccessControl) returns (bool) {
        return interfaceId == type(IERC5192).interfaceId || interfaceId == bytes4(0x49064906)
            || super.supportsInterface(interfaceId);
    }

    /// @dev Checks the drop's window and supply and reserves `count` serials; returns the first one.
    function _reserve(uint256 dropId, uint256 count) private returns (uint256 firstSerial, bool soulbound) {
        Drop storage drop = _existingDrop(dropId);
        uint256 minted = drop.minted;
        uint256 remaining = drop.maxSupply - minted;
        if (count > remaining) revert LoyaltyCollectibleMaxSupplyExceeded(dropId, count, remaining);
        if ((drop.start != 0 && block.timestamp < drop.start) || (drop.end != 0 && block.timestamp >= drop.end)) {
            revert LoyaltyCollectibleMintWindowClosed(dropId);
        }
        // minted + count <= maxSupply < 2^64, checked just above.
        drop.minted = uint64(minted + count);
        return (minted + 1, drop.soulbound);
    }

    function _existingDrop(uint256 dropId) private view returns (Drop storage drop) {
        drop = _drops[dropId];
        if (!drop.exists) revert LoyaltyCollectibleUnknownDrop(dropId);
    }

    /// @dev Blocks every balance change while paused and every move of a soulbound token (mint excepted).
    function _update(address to, uint256 tokenId, address auth) internal override whenNotPaused returns (address) {
        address from = super._update(to, tokenId, auth);
        if (from != address(0) && _drops[dropOf(tokenId)].soulbound) revert LoyaltyCollectibleSoulbound(tokenId);
        return from;
    }
}
